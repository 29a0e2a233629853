/**
 * Drops events a receiver has already accepted: retries across a peer link (an answer lost
 * after the event was accepted, a channel redelivering after a gateway restart) send the same
 * event again. Keyed by (source, id), which CloudEvents makes unique per distinct event.
 *
 * Memory is bounded twice: an entry expires `windowMs` after it was accepted, and beyond
 * `maxEntries` the oldest entries are evicted first. The effective window is therefore the
 * shorter of `windowMs` and `maxEntries / accepted events per second`; a duplicate arriving
 * later than that is accepted again (at-least-once, never loss). An entry costs roughly
 * 100 bytes plus the length of its source and id.
 *
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md#id
 */
import { ConfigError } from '../errors.js';
import { eventKey, type MeshEvent } from '../event/mesh-event.js';

/** Ten minutes: longer than Knative's default retry schedule (10 retries, exponential from 0.2 s, ~3.4 min). */
export const DEFAULT_DEDUP_WINDOW_MS = 10 * 60_000;
/** About 15 MB of keys at typical source and id lengths. */
export const DEFAULT_DEDUP_MAX_ENTRIES = 100_000;

export interface DedupWindowOptions {
  /** How long an accepted (source, id) is remembered, in ms (default 10 min). */
  windowMs?: number;
  /** How many keys are remembered at most; the oldest go first (default 100,000). */
  maxEntries?: number;
  /** Milliseconds clock, injectable for tests. */
  now?: () => number;
}

export interface DedupCounters {
  /** First arrivals, recorded. */
  accepted: number;
  /** Arrivals dropped because their key was already recorded. */
  duplicates: number;
  /** Keys dropped because they were older than the window. */
  expired: number;
  /** Keys dropped early because the window was full. */
  evicted: number;
}

export class DedupWindow {
  readonly windowMs: number;
  readonly maxEntries: number;
  readonly counters: DedupCounters = { accepted: 0, duplicates: 0, expired: 0, evicted: 0 };
  readonly #now: () => number;
  /** key → time accepted. */
  readonly #entries = new Map<string, number>();
  /**
   * Keys in acceptance order, oldest at `#head`, with their times: what expiry and eviction pop.
   * (Deleting from the front of a Map leaves holes that every new iterator walks over again.)
   * An entry whose key was forgotten or recorded again since is stale and skipped.
   */
  #queueKeys: string[] = [];
  #queueTimes: number[] = [];
  #head = 0;

  constructor(options: DedupWindowOptions = {}) {
    this.windowMs = positive(options.windowMs ?? DEFAULT_DEDUP_WINDOW_MS, 'windowMs');
    this.maxEntries = positive(options.maxEntries ?? DEFAULT_DEDUP_MAX_ENTRIES, 'maxEntries');
    this.#now = options.now ?? Date.now;
  }

  /** Keys currently remembered. */
  get size(): number {
    this.#expire(this.#now());
    return this.#entries.size;
  }

  /**
   * True when the event's (source, id) was already accepted within the window (a duplicate: drop
   * it). Otherwise records it as accepted now and answers false. `scope` keeps keys apart, e.g.
   * per Broker: the same event published to two Brokers is two deliveries, not a duplicate.
   */
  seen(event: MeshEvent, scope = ''): boolean {
    const now = this.#now();
    this.#expire(now);
    const key = keyOf(event, scope);
    if (this.#entries.has(key)) {
      this.counters.duplicates++;
      return true;
    }
    this.#entries.set(key, now);
    this.#queueKeys.push(key);
    this.#queueTimes.push(now);
    this.counters.accepted++;
    while (this.#entries.size > this.maxEntries && this.#head < this.#queueKeys.length) {
      if (this.#popOldest()) this.counters.evicted++;
    }
    return false;
  }

  /** Whether the event's key is remembered, without recording anything. */
  has(event: MeshEvent, scope = ''): boolean {
    this.#expire(this.#now());
    return this.#entries.has(keyOf(event, scope));
  }

  /**
   * Forgets the event's key: call it when an event that `seen` accepted could not be kept after
   * all (the channel refused it), so that the sender's retry is not dropped as a duplicate.
   */
  forget(event: MeshEvent, scope = ''): boolean {
    return this.#entries.delete(keyOf(event, scope));
  }

  clear(): void {
    this.#entries.clear();
    this.#queueKeys = [];
    this.#queueTimes = [];
    this.#head = 0;
  }

  /** Drops entries from the oldest end while they are outside the window: amortised O(1). */
  #expire(now: number): void {
    const limit = now - this.windowMs;
    while (this.#head < this.#queueTimes.length && (this.#queueTimes[this.#head] as number) <= limit) {
      if (this.#popOldest()) this.counters.expired++;
    }
  }

  /** Removes the oldest queue entry; true when it was live (its key is now forgotten), false when stale. */
  #popOldest(): boolean {
    const key = this.#queueKeys[this.#head] as string;
    const at = this.#queueTimes[this.#head] as number;
    this.#head++;
    this.#compact();
    if (this.#entries.get(key) !== at) return false;
    this.#entries.delete(key);
    return true;
  }

  /** Gives back the popped part of the queue now and then, so that it never grows without bound. */
  #compact(): void {
    if (this.#head < 4096 || this.#head * 2 < this.#queueKeys.length) return;
    this.#queueKeys = this.#queueKeys.slice(this.#head);
    this.#queueTimes = this.#queueTimes.slice(this.#head);
    this.#head = 0;
  }
}

function keyOf(event: MeshEvent, scope: string): string {
  return scope === '' ? eventKey(event) : `${scope}\u0001${eventKey(event)}`;
}

function positive(value: number, name: string): number {
  if (Number.isFinite(value) && value > 0) return value;
  const message = `must be a positive number, got ${value}`;
  throw new ConfigError(`invalid dedup ${name}: ${message}`, [{ path: name, message }]);
}
