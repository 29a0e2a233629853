/**
 * Recent dead-lettered events per Trigger, in a bounded ring buffer: operators ask "what was
 * dead-lettered and why" without a trip to the dead-letter sink. Costs nothing until an event
 * is dead-lettered.
 */
import type { MeshEvent, RouterObserver } from '@meshgate/core';
import { type EventJson, eventJson } from './event-json.js';

export interface DeadLetterEntry {
  trigger: string;
  /** When it was dead-lettered (ISO 8601). */
  at: string;
  error: string;
  event: MeshEvent;
}

export interface DeadLetterJson {
  trigger: string;
  at: string;
  error: string;
  event: EventJson;
}

export const DEFAULT_DEAD_LETTERS_PER_TRIGGER = 100;

export class DeadLetterLog {
  private readonly byTrigger = new Map<string, { entries: DeadLetterEntry[]; next: number; total: number }>();

  constructor(private readonly perTrigger = DEFAULT_DEAD_LETTERS_PER_TRIGGER) {}

  /** The observer to add to the Gateway. */
  readonly observer: RouterObserver = {
    deadLettered: (trigger, event, error) => this.record(trigger, event, error),
  };

  record(trigger: string, event: MeshEvent, error: string, at = new Date()): void {
    let ring = this.byTrigger.get(trigger);
    if (!ring) {
      ring = { entries: [], next: 0, total: 0 };
      this.byTrigger.set(trigger, ring);
    }
    const entry = { trigger, at: at.toISOString(), error, event };
    if (ring.entries.length < this.perTrigger) ring.entries.push(entry);
    else ring.entries[ring.next] = entry;
    ring.next = (ring.next + 1) % this.perTrigger;
    ring.total++;
  }

  /** Newest first; one Trigger (`namespace/name`) or all. */
  list(trigger?: string): DeadLetterEntry[] {
    const rings = trigger ? [this.byTrigger.get(trigger)] : [...this.byTrigger.values()];
    const out: DeadLetterEntry[] = [];
    for (const ring of rings) {
      if (!ring) continue;
      const n = ring.entries.length;
      // Oldest is at `next` once the ring is full, at 0 before.
      const start = n < this.perTrigger ? 0 : ring.next;
      for (let i = n - 1; i >= 0; i--) out.push(ring.entries[(start + i) % n] as DeadLetterEntry);
    }
    return trigger ? out : out.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  }

  /** Dead letters recorded for a Trigger since start, including those the ring has dropped. */
  total(trigger: string): number {
    return this.byTrigger.get(trigger)?.total ?? 0;
  }

  toJson(trigger: string | undefined, withData: boolean): DeadLetterJson[] {
    return this.list(trigger).map((e) => ({
      trigger: e.trigger,
      at: e.at,
      error: e.error,
      event: eventJson(e.event, withData),
    }));
  }
}
