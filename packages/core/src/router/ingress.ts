/**
 * What a Broker does to an event as it enters: the arrival time and the loop counter, as
 * Knative's broker ingress does.
 * @see https://github.com/knative/eventing/blob/main/docs/spec/data-plane.md
 */
import { InvalidEventError } from '../errors.js';
import type { MeshEvent } from '../event/mesh-event.js';
import { withAttributes } from '../event/mesh-event.js';

/** Knative's default `knativebrokerttl`: how many times an event may re-enter a Broker. */
export const DEFAULT_BROKER_TTL = 255;
export const TTL_ATTRIBUTE = 'knativebrokerttl';
export const ARRIVAL_TIME_ATTRIBUTE = 'knativearrivaltime';

/** Reads the TTL as a number; headers carry it as a string. Undefined when absent. */
export function brokerTtl(event: MeshEvent): number | undefined {
  const raw = event.attributes[TTL_ATTRIBUTE];
  if (raw === undefined) return undefined;
  const n = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isInteger(n)) {
    throw new InvalidEventError(`${TTL_ATTRIBUTE} must be an integer, got ${JSON.stringify(String(raw))}`);
  }
  return n;
}

/** Stamps the arrival time and a TTL; refuses an event whose TTL is used up (a loop). */
export function stampIngress(event: MeshEvent, now?: Date): MeshEvent {
  const ttl = brokerTtl(event);
  if (ttl !== undefined && ttl <= 0) {
    throw new InvalidEventError(
      `${TTL_ATTRIBUTE} is exhausted (${ttl}): the event has looped through brokers too often`,
    );
  }
  return withAttributes(event, {
    [ARRIVAL_TIME_ATTRIBUTE]: now === undefined ? isoNow() : now.toISOString(),
    [TTL_ATTRIBUTE]: ttl ?? DEFAULT_BROKER_TTL,
  });
}

/** A subscriber's reply carries the TTL of the event it answers, minus one hop. */
export function replyWithTtl(reply: MeshEvent, original: MeshEvent): MeshEvent {
  const ttl = brokerTtl(original) ?? DEFAULT_BROKER_TTL;
  return withAttributes(reply, { [TTL_ATTRIBUTE]: ttl - 1 });
}

let lastMs = -1;
let lastIso = '';

/** The current time in RFC 3339, formatted once per millisecond rather than once per event. */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}
