/**
 * ISO-8601 durations as Knative's DeliverySpec writes them (`backoffDelay`, `timeout`,
 * `retryAfterMax`): `PT0.2S`, `PT1M30S`, `P1D`, `P1W`, `P1DT12H`.
 *
 * Knative parses these with `github.com/rickb777/date/period` and converts with its
 * conventional approximations; we accept the same shapes:
 * - designators in order `Y M W D` then `T H M S`; at least one component; `T` only when a
 *   time component follows;
 * - every component may carry a decimal fraction (`.` or `,`), e.g. `PT1.5S`, `P0.5D`;
 * - a year counts 365.2425 days and a month one twelfth of that (calendar-free, as Knative);
 * - no sign: a negative delay, timeout or cap means nothing for delivery.
 *
 * @see https://en.wikipedia.org/wiki/ISO_8601#Durations
 * @see https://github.com/knative/eventing/blob/main/pkg/apis/duck/v1/delivery_types.go
 */
import { ConfigError } from '../errors.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const YEAR = 365.2425 * DAY;
const MONTH = YEAR / 12;
const WEEK = 7 * DAY;

const NUMBER = '(\\d+(?:[.,]\\d+)?)';
const DURATION = new RegExp(
  `^P(?:${NUMBER}Y)?(?:${NUMBER}M)?(?:${NUMBER}W)?(?:${NUMBER}D)?(?:T(?:${NUMBER}H)?(?:${NUMBER}M)?(?:${NUMBER}S)?)?$`,
);
const UNITS = [YEAR, MONTH, WEEK, DAY, HOUR, MINUTE, SECOND] as const;

/**
 * Milliseconds in an ISO-8601 duration (may be fractional below one millisecond).
 * Throws a ConfigError that quotes the bad text when it is not a duration.
 */
export function parseIsoDuration(text: string): number {
  if (typeof text !== 'string') {
    throw new ConfigError(
      `invalid ISO-8601 duration ${JSON.stringify(text)}: expected a string such as "PT0.2S"`,
    );
  }
  const match = DURATION.exec(text.trim().toUpperCase());
  const parts = match?.slice(1) ?? [];
  const hasComponent = parts.some((p) => p !== undefined);
  // "PT" with nothing after it matches the pattern's optional groups: refuse it too.
  const danglingT = text.trim().toUpperCase().endsWith('T');
  if (!match || !hasComponent || danglingT) {
    throw new ConfigError(
      `invalid ISO-8601 duration ${JSON.stringify(text)}: expected a form such as "PT0.2S", "PT1M30S", "P1D" or "P1W"`,
    );
  }
  let ms = 0;
  parts.forEach((part, i) => {
    if (part !== undefined) ms += Number(part.replace(',', '.')) * (UNITS[i] as number);
  });
  if (!Number.isFinite(ms)) {
    throw new ConfigError(`invalid ISO-8601 duration ${JSON.stringify(text)}: too large`);
  }
  // Keep microsecond precision but drop binary floating-point noise (1.1 s -> 1100, not 1100.0000000000002).
  return Math.round(ms * 1000) / 1000;
}
