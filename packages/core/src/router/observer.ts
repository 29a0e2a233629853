/** Hooks the gateway's metrics listen on; every hook is optional and must not throw. */
export interface RouterObserver {
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
