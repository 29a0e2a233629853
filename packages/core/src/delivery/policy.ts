/**
 * Knative's DeliverySpec (as written in Broker/Trigger YAML) and the resolved policy the
 * delivery engine runs on.
 *
 * @see https://github.com/knative/eventing/blob/main/pkg/apis/duck/v1/delivery_types.go
 * @see https://knative.dev/docs/eventing/event-delivery/
 */
import { ConfigError, type ConfigIssue } from '../errors.js';
import { parseIsoDuration } from './duration.js';

export type BackoffPolicy = 'linear' | 'exponential';

/** A Kubernetes-style reference to an Addressable (e.g. a Service or a Broker). */
export interface DestinationRef {
  apiVersion?: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** `spec.delivery` of a Broker, Trigger, Channel or Subscription, exactly as Knative writes it. */
export interface DeliverySpec {
  /** Retries after the first attempt (total attempts = 1 + retry). */
  retry?: number;
  backoffPolicy?: BackoffPolicy;
  /** ISO-8601 duration, e.g. `PT0.2S`. */
  backoffDelay?: string;
  /** Per-attempt timeout, ISO-8601 duration greater than zero. */
  timeout?: string;
  /** Upper bound on a `Retry-After` answer; `PT0S` ignores `Retry-After`. */
  retryAfterMax?: string;
  /**
   * Upper bound on the backoff computed from `backoffDelay` and `backoffPolicy` (Knative 1.24,
   * feature `delivery-backoff-max`); it does not cap a `Retry-After`, `retryAfterMax` does.
   */
  backoffMax?: string;
  /** Wire format towards the subscriber: `json` (structured) or `binary`; no preference when unset. */
  format?: 'json' | 'binary';
  /** Where an event goes once every attempt failed: a URI, a ref, or a ref plus a relative URI. */
  deadLetterSink?: { uri?: string; ref?: DestinationRef };
}

/** A DeliverySpec with durations in milliseconds and the dead-letter sink resolved to a URL. */
export interface DeliveryPolicy {
  retry: number;
  backoffPolicy: BackoffPolicy;
  backoffDelayMs: number;
  /** Per-attempt timeout; undefined leaves it to the sender's own default. */
  timeoutMs?: number;
  /**
   * Cap on `Retry-After`. Undefined or 0: `Retry-After` is ignored (Knative's behaviour while
   * its `delivery-retryafter` feature is opt-in: only a set `retryAfterMax` turns it on).
   */
  retryAfterMaxMs?: number;
  /** Cap on each computed backoff; undefined: only `MAX_BACKOFF_MS`. */
  backoffMaxMs?: number;
  /** Content mode from `format`; undefined leaves the choice to the caller (binary by default). */
  mode?: 'binary' | 'structured';
  deadLetterUrl?: string;
}

/** Resolves a ref to the Addressable's URL, or undefined when it does not exist. */
export type RefResolver = (ref: DestinationRef) => string | undefined;

/**
 * What a Broker without `spec.delivery` gets: the `delivery` block that Knative ships in its
 * `config-br-defaults` ConfigMap for every new Broker (10 retries, exponential, 0.2 s).
 *
 * @see https://github.com/knative/eventing/blob/main/config/core/configmaps/default-broker.yaml
 */
export const DEFAULT_DELIVERY_SPEC: Readonly<DeliverySpec> = Object.freeze({
  retry: 10,
  backoffPolicy: 'exponential',
  backoffDelay: 'PT0.2S',
});

/**
 * Turns a DeliverySpec into the policy the engine runs on. Throws a ConfigError listing every
 * bad field (its `issues[].path` names it, relative to `delivery`).
 *
 * Defaults:
 * - no spec at all: {@link DEFAULT_DELIVERY_SPEC} (Knative's default Broker delivery);
 * - a spec without `retry`: no retries (Knative: `retry` unset means 0), so a spec holding only
 *   a `deadLetterSink` sends a failed event straight there;
 * - a spec without `backoffPolicy` or `backoffDelay`: `exponential` and `PT0.2S`. Knative
 *   retries with no delay at all unless both are set; we back off anyway, because the
 *   data-plane contract requires Brokers to implement congestion control;
 * - no `timeout`: the sender's default; no `retryAfterMax`: `Retry-After` is ignored;
 *   no `backoffMax`: backoff grows without a cap of its own; no `format`: the caller's mode.
 */
export function resolveDeliveryPolicy(
  spec: DeliverySpec | undefined,
  resolveRef?: RefResolver,
): DeliveryPolicy {
  const s = spec ?? DEFAULT_DELIVERY_SPEC;
  const issues: ConfigIssue[] = [];
  const duration = (
    field: 'backoffDelay' | 'timeout' | 'retryAfterMax' | 'backoffMax',
  ): number | undefined => {
    const text = s[field];
    if (text === undefined) return undefined;
    try {
      return parseIsoDuration(text);
    } catch (err) {
      issues.push({ path: field, message: (err as Error).message });
      return undefined;
    }
  };

  const retry = s.retry ?? 0;
  if (!Number.isInteger(retry) || retry < 0) {
    issues.push({
      path: 'retry',
      message: `retry must be a whole number >= 0, got ${JSON.stringify(s.retry)}`,
    });
  }
  const backoffPolicy = s.backoffPolicy ?? 'exponential';
  if (backoffPolicy !== 'linear' && backoffPolicy !== 'exponential') {
    issues.push({
      path: 'backoffPolicy',
      message: `backoffPolicy must be "linear" or "exponential", got ${JSON.stringify(s.backoffPolicy)}`,
    });
  }
  const backoffDelayMs =
    duration('backoffDelay') ?? parseIsoDuration(DEFAULT_DELIVERY_SPEC.backoffDelay as string);
  const timeoutMs = duration('timeout');
  if (timeoutMs === 0)
    issues.push({ path: 'timeout', message: `timeout must be greater than zero, got "${s.timeout}"` });
  const retryAfterMaxMs = duration('retryAfterMax');
  const backoffMaxMs = duration('backoffMax');
  if (backoffMaxMs === 0) {
    issues.push({
      path: 'backoffMax',
      message: `backoffMax must be greater than zero, got "${s.backoffMax}"`,
    });
  }
  if (s.format !== undefined && s.format !== 'json' && s.format !== 'binary') {
    issues.push({
      path: 'format',
      message: `format must be "json" or "binary", got ${JSON.stringify(s.format)}`,
    });
  }
  const deadLetterUrl = resolveDeadLetter(s.deadLetterSink, resolveRef, issues);

  if (issues.length > 0) {
    const detail = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid delivery: ${detail}`, issues);
  }
  const policy: DeliveryPolicy = { retry, backoffPolicy, backoffDelayMs };
  if (timeoutMs !== undefined) policy.timeoutMs = timeoutMs;
  if (retryAfterMaxMs !== undefined) policy.retryAfterMaxMs = retryAfterMaxMs;
  if (backoffMaxMs !== undefined) policy.backoffMaxMs = backoffMaxMs;
  if (s.format !== undefined) policy.mode = s.format === 'json' ? 'structured' : 'binary';
  if (deadLetterUrl !== undefined) policy.deadLetterUrl = deadLetterUrl;
  return policy;
}

/**
 * Knative's Destination: a `uri` alone must be absolute; with a `ref`, the ref's URL is the
 * base and a `uri` is resolved against it.
 *
 * @see https://github.com/knative/specs/blob/main/specs/eventing/control-plane.md
 */
function resolveDeadLetter(
  sink: DeliverySpec['deadLetterSink'],
  resolveRef: RefResolver | undefined,
  issues: ConfigIssue[],
): string | undefined {
  if (sink === undefined) return undefined;
  const { uri, ref } = sink;
  if (uri === undefined && ref === undefined) {
    issues.push({ path: 'deadLetterSink', message: 'deadLetterSink needs a uri or a ref' });
    return undefined;
  }
  let base: string | undefined;
  if (ref !== undefined) {
    const name = `${ref.kind}/${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
    if (!resolveRef) {
      issues.push({
        path: 'deadLetterSink.ref',
        message: `cannot resolve ref ${name}: no resolver for references here`,
      });
      return undefined;
    }
    base = resolveRef(ref);
    if (base === undefined) {
      issues.push({ path: 'deadLetterSink.ref', message: `ref ${name} does not resolve to an address` });
      return undefined;
    }
  }
  try {
    const url = uri === undefined ? new URL(base as string) : new URL(uri, base);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      issues.push({
        path: 'deadLetterSink.uri',
        message: `deadLetterSink must be an http(s) URL, got "${url.href}"`,
      });
      return undefined;
    }
    return url.href;
  } catch {
    const what = uri === undefined ? `ref resolved to "${base}"` : `"${uri}"`;
    issues.push({
      path: uri === undefined ? 'deadLetterSink.ref' : 'deadLetterSink.uri',
      message: `deadLetterSink is not a valid absolute URL: ${what}`,
    });
    return undefined;
  }
}
