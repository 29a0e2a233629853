/**
 * When to retry and how long to wait: Knative's retry statuses, linear/exponential backoff and
 * `Retry-After`.
 *
 * @see https://github.com/knative/eventing/blob/main/pkg/kncloudevents/retries.go
 * @see https://github.com/knative/specs/blob/main/specs/eventing/data-plane.md#event-acknowledgement-and-delivery-retry
 */
import type { DeliveryPolicy } from './policy.js';

/**
 * The longest single wait. Node's timers fire at once for anything above 2^31-1 ms, so an
 * uncapped exponential backoff (0.2 s * 2^40) would turn into a retry storm.
 */
export const MAX_BACKOFF_MS = 2_147_483_647;

/**
 * The wait before retry number `retryNumber` (1-based): the first retry waits one delay.
 * linear: delay * n; exponential: delay * 2^(n-1). Capped at `policy.backoffMaxMs` when set,
 * and always at {@link MAX_BACKOFF_MS}.
 *
 * Knative documents the same formulas but feeds them a 0-based attempt index (go-retryablehttp),
 * so its exponential schedule is this one while its linear one retries the first time without
 * any delay; meshgate waits one delay there too (issue 3: "the first retry waits one delay").
 */
export function backoffDelayMs(policy: DeliveryPolicy, retryNumber: number): number {
  const n = Math.max(1, Math.floor(retryNumber));
  const delay = Math.max(0, policy.backoffDelayMs);
  const ms = policy.backoffPolicy === 'linear' ? delay * n : delay * 2 ** (n - 1);
  const cap = Math.min(
    MAX_BACKOFF_MS,
    policy.backoffMaxMs !== undefined && policy.backoffMaxMs > 0 ? policy.backoffMaxMs : Infinity,
  );
  return Number.isFinite(ms) ? Math.min(ms, cap) : cap;
}

/**
 * Statuses worth another attempt: 404 (endpoint not ready yet), 408, 409, 429 and every 5xx,
 * as Knative's SelectiveRetry. Other 4xx, 1xx and 3xx are final failures; 2xx is success.
 */
export function isRetriableStatus(status: number): boolean {
  return status >= 500 || status === 404 || status === 408 || status === 409 || status === 429;
}

/** Statuses whose `Retry-After` Knative reads (RFC 9110 §10.2.3, RFC 6585 §4). */
export function readsRetryAfter(status: number | undefined): boolean {
  return status === 429 || status === 503;
}

const HTTP_DATE_SHAPE = /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\b.*\b\d{2}:\d{2}:\d{2}\b/i;

/**
 * A `Retry-After` header in milliseconds from `now`: delay-seconds (`120`) or an HTTP-date
 * (`Wed, 21 Oct 2015 07:28:00 GMT`, also RFC 850 and asctime forms). A date in the past is 0;
 * anything unparsable is undefined.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // All three HTTP-date forms name a month and carry hh:mm:ss; that refuses "-5", "1.5", "soon".
  if (!HTTP_DATE_SHAPE.test(text)) return undefined;
  // asctime has no zone but means GMT; Date.parse would read it as local time.
  const at = Date.parse(/\b(GMT|UTC|UT)$/i.test(text) ? text : `${text} GMT`);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * The wait before retry number `retryNumber` after an answer with `status` and `retryAfter`
 * (header value): the policy's backoff, or the `Retry-After` when that is longer, capped at
 * `retryAfterMax`. As in Knative, `Retry-After` counts only on 429 and 503, only when
 * `retryAfterMax` is set and non-zero, and never shortens the backoff.
 */
export function retryDelayMs(
  policy: DeliveryPolicy,
  retryNumber: number,
  answer: { status?: number; retryAfter?: string | undefined },
  now: number,
): number {
  const backoff = backoffDelayMs(policy, retryNumber);
  const cap = policy.retryAfterMaxMs;
  if (cap === undefined || cap <= 0 || !readsRetryAfter(answer.status)) return backoff;
  const asked = parseRetryAfter(answer.retryAfter, now);
  if (asked === undefined) return backoff;
  return Math.max(backoff, Math.min(asked, cap, MAX_BACKOFF_MS));
}
