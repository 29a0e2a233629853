/**
 * The delivery engine: one event to one Addressable with Knative's retry, backoff, timeout,
 * `Retry-After` and dead-letter contract. Every channel (memory, Kafka, RabbitMQ, NATS,
 * Pub/Sub) delivers through this one function, so they all retry the same way.
 *
 * @see https://github.com/knative/specs/blob/main/specs/eventing/data-plane.md
 * @see https://github.com/knative/eventing/blob/main/pkg/kncloudevents/event_dispatcher.go
 */
import { toMeshgateError } from '../errors.js';
import type { MeshEvent } from '../event/mesh-event.js';
import { isRetriableStatus, retryDelayMs } from './backoff.js';
import { deadLetterEvent } from './dead-letter.js';
import type { DeliveryPolicy } from './policy.js';
import type { AddressableSender, SendResponse } from './sender.js';

export type DeliveryOutcome =
  /** A 2xx answer; `reply` is a CloudEvent the subscriber answered with (never on 202). */
  | { kind: 'delivered'; attempts: number; status: number; reply?: MeshEvent }
  /** Every attempt failed and the dead-letter sink took the event: safe to ack. */
  | { kind: 'dead-lettered'; attempts: number; status?: number; error: string }
  /**
   * Every attempt failed and there is no dead-letter sink, or it failed too. `retriable` says
   * whether the last failure was transient (the caller nacks so the source does not advance)
   * or final (a 400: trying later will not help). Also the outcome of an abort.
   */
  | { kind: 'failed'; attempts: number; status?: number; error: string; retriable: boolean };

/** Hooks for metrics and logs; each is optional and must not throw. */
export interface DeliveryObserver {
  /** After each attempt on the subscriber (not on the dead-letter sink). */
  attempt?(info: { attempt: number; status?: number; error?: string; durationMs: number }): void;
  /** Before waiting for retry number `attempt` (1-based). */
  retry?(info: { attempt: number; delayMs: number }): void;
  /** After the dead-letter sink accepted the event. */
  deadLettered?(info: { attempts: number; status?: number; error: string; deadLetterUrl: string }): void;
}

/** Time, injectable so that tests run without waiting. */
export interface DeliveryClock {
  now(): number;
  /** Resolves after `ms`; resolves or rejects early when `signal` aborts (either is fine here). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemDeliveryClock: DeliveryClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
};

export interface DeliveryRequest {
  url: string;
  event: MeshEvent;
  policy: DeliveryPolicy;
  /** Extra headers for every attempt and for the dead-letter sink (e.g. `Kn-Namespace`). */
  headers?: Record<string, string>;
  /** Content mode; defaults to `policy.mode`, then to the sender's default (binary). */
  mode?: 'binary' | 'structured';
  /** Aborting stops waiting and sending at once (shutdown); the outcome is a retriable failure. */
  signal?: AbortSignal;
  observer?: DeliveryObserver;
}

/** What one attempt came to. */
interface Attempt {
  ok: boolean;
  retriable: boolean;
  status?: number;
  error?: string;
  response?: SendResponse;
}

/**
 * Delivers `req.event` to `req.url`: up to 1 + `policy.retry` attempts, each with
 * `policy.timeoutMs`, waiting the backoff (or a longer, capped `Retry-After`) between them.
 * Retries on 404, 408, 409, 429, 5xx and on a rejected send whose error is `retriable`
 * (timeouts, refused or reset connections); stops at once on any other status. A 2xx whose
 * body is not a CloudEvent fails the attempt like Knative's broker, which answers 502 for it.
 * When every attempt failed and `policy.deadLetterUrl` is set, the event goes there with the
 * `knativeerror*` extensions and the same retry policy. Never rejects.
 */
export async function deliverWithRetries(
  req: DeliveryRequest,
  sender: AddressableSender,
  clock: DeliveryClock = systemDeliveryClock,
): Promise<DeliveryOutcome> {
  const { policy, observer, signal } = req;
  const maxAttempts = 1 + (Number.isFinite(policy.retry) ? Math.max(0, Math.floor(policy.retry)) : 0);
  let last: Attempt = { ok: false, retriable: true, error: 'no attempt was made' };
  let attempts = 0;

  while (attempts < maxAttempts) {
    if (signal?.aborted) return aborted(attempts, last);
    attempts++;
    const started = clock.now();
    last = await attemptOnce(req, sender);
    if (signal?.aborted) return aborted(attempts, last);
    notify(() =>
      observer?.attempt?.({
        attempt: attempts,
        ...(last.status !== undefined && { status: last.status }),
        ...(last.error !== undefined && { error: last.error }),
        durationMs: clock.now() - started,
      }),
    );
    if (last.ok) {
      const status = last.status as number;
      const reply = last.response?.reply;
      // Data plane: "Responses with a 202 response code MUST NOT be processed as reply events".
      return reply && status !== 202
        ? { kind: 'delivered', attempts, status, reply }
        : { kind: 'delivered', attempts, status };
    }
    if (!last.retriable || attempts >= maxAttempts) break;

    const delayMs = retryDelayMs(
      policy,
      attempts,
      {
        ...(last.status !== undefined && { status: last.status }),
        retryAfter: last.response?.headers?.['retry-after'],
      },
      clock.now(),
    );
    notify(() => observer?.retry?.({ attempt: attempts, delayMs }));
    try {
      await clock.sleep(delayMs, signal);
    } catch {
      // A clock may reject on abort; the check at the top of the loop reports it.
    }
  }

  const error = describe(req.url, last);
  if (!policy.deadLetterUrl) {
    return { kind: 'failed', attempts, ...statusOf(last), error, retriable: last.retriable };
  }
  return deadLetter(req, sender, clock, attempts, last, error, policy.deadLetterUrl);
}

async function attemptOnce(req: DeliveryRequest, sender: AddressableSender): Promise<Attempt> {
  const mode = req.mode ?? req.policy.mode;
  let response: SendResponse;
  try {
    response = await sender.send({
      url: req.url,
      event: req.event,
      ...(req.policy.timeoutMs !== undefined && { timeoutMs: req.policy.timeoutMs }),
      ...(req.headers !== undefined && { headers: req.headers }),
      ...(mode !== undefined && { mode }),
      ...(req.signal !== undefined && { signal: req.signal }),
    });
  } catch (err) {
    const e = toMeshgateError(err);
    return { ok: false, retriable: e.retriable, error: e.message };
  }
  const { status } = response;
  if (status >= 200 && status < 300) {
    if (response.replyError === undefined) return { ok: true, retriable: false, status, response };
    // Knative's broker filter answers 502 for this, which its channels then retry.
    return {
      ok: false,
      retriable: true,
      status: 502,
      error: `subscriber answered ${status} with a body that is not a CloudEvent: ${response.replyError}`,
      response,
    };
  }
  return {
    ok: false,
    retriable: isRetriableStatus(status),
    status,
    error: `subscriber answered ${status}`,
    response,
  };
}

async function deadLetter(
  req: DeliveryRequest,
  sender: AddressableSender,
  clock: DeliveryClock,
  attempts: number,
  last: Attempt,
  error: string,
  deadLetterUrl: string,
): Promise<DeliveryOutcome> {
  const event = deadLetterEvent(req.event, {
    destination: req.url,
    ...statusOf(last),
    ...(last.response?.body !== undefined && { body: last.response.body }),
    ...(last.error !== undefined && { error: last.error }),
  });
  const { deadLetterUrl: _, ...policy } = req.policy;
  const dls = await deliverWithRetries(
    {
      url: deadLetterUrl,
      event,
      policy,
      ...(req.headers !== undefined && { headers: req.headers }),
      ...(req.mode !== undefined && { mode: req.mode }),
      ...(req.signal !== undefined && { signal: req.signal }),
    },
    sender,
    clock,
  );
  if (dls.kind === 'delivered') {
    notify(() => req.observer?.deadLettered?.({ attempts, ...statusOf(last), error, deadLetterUrl }));
    return { kind: 'dead-lettered', attempts, ...statusOf(last), error };
  }
  const dlsFailure = dls.kind === 'failed' ? dls : { error: 'unexpected outcome', retriable: true };
  return {
    kind: 'failed',
    attempts,
    ...statusOf(last),
    error: `${error}; dead-letter sink failed too: ${dlsFailure.error}`,
    retriable: dlsFailure.retriable,
  };
}

function aborted(attempts: number, last: Attempt): DeliveryOutcome {
  return { kind: 'failed', attempts, ...statusOf(last), error: 'delivery aborted', retriable: true };
}

function statusOf(a: Attempt): { status?: number } {
  return a.status === undefined ? {} : { status: a.status };
}

function describe(url: string, a: Attempt): string {
  return `delivery to ${url} failed: ${a.error ?? `status ${a.status}`}`;
}

/** Observers are for metrics and logs: one that throws must not break delivery. */
function notify(fn: () => void): void {
  try {
    fn();
  } catch {
    // ignored on purpose
  }
}
