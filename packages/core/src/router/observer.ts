import type { MeshEvent } from '../event/mesh-event.js';

/** Hooks the gateway's metrics, live tail and tracing listen on; every hook is optional and must not throw. */
export interface RouterObserver {
  /** Every event accepted into a Broker, after ingress stamping (for live tails). Keep it cheap. */
  event?(broker: string, event: MeshEvent): void;
  /** An event went to a Trigger's dead-letter sink (for "recent dead letters"). */
  deadLettered?(trigger: string, event: MeshEvent, error: string): void;
  /** Events accepted into a Broker (`<namespace>/<broker>`). */
  ingested?(broker: string, count: number): void;
  /** Events refused at a Broker's ingress, by reason (invalid, overloaded, not-found, ...). */
  rejected?(broker: string, reason: string, count: number): void;
  /** One HTTP attempt to a subscriber or dead-letter sink; status undefined when no answer came. */
  attempt?(trigger: string, status: number | undefined, durationMs: number): void;
  /** How an event's delivery for a Trigger ended, with its time since Broker ingress. */
  outcome?(trigger: string, kind: TriggerOutcomeKind, sinceArrivalMs: number | undefined): void;
  retried?(trigger: string): void;
}

export type TriggerOutcomeKind = 'delivered' | 'dead-lettered' | 'failed' | 'dropped';

/** What sends an event: a Trigger to its subscriber, a Source or Bridge to its sink, a Broker to a peer. */
export type DeliveryKind = 'trigger' | 'source' | 'bridge' | 'peer';

/**
 * Tracing around one delivery of an event (all its attempts): the gateway implements it with
 * OpenTelemetry; `headers` (e.g. W3C `traceparent`) go on every attempt.
 */
export interface DeliveryTracer {
  startDelivery(
    /** The Trigger, Source or Bridge key, or the peer's gateway id. */
    destination: string,
    event: MeshEvent,
    kind?: DeliveryKind,
  ): { headers: Record<string, string>; end(outcome: TriggerOutcomeKind, error?: string): void };
}
