/**
 * Keeps every peer's view of this gateway's interest current: announces to all peers shortly
 * after a change (debounced, so a config reload that touches fifty Triggers sends one
 * announcement per peer), retries a peer that did not take it, and refreshes every peer
 * periodically (a peer that restarted, or missed one, catches up). Transport-free: the gateway
 * supplies `send`, e.g. an HTTP POST to the peer's announcement endpoint.
 */
import type { InterestAnnouncement } from './announcement.js';
import type { InterestTable } from './interest-table.js';

export const DEFAULT_ANNOUNCE_DEBOUNCE_MS = 100;
export const DEFAULT_ANNOUNCE_REFRESH_MS = 30_000;
export const DEFAULT_ANNOUNCE_RETRY_MS = 2_000;

export interface AnnouncerOptions {
  table: InterestTable;
  /** Delivers one announcement to one peer; rejects when the peer did not take it (it is retried). */
  send: (peer: string, announcement: InterestAnnouncement) => Promise<void>;
  peers?: readonly string[];
  /** Wait after a change before announcing, gathering further changes (default 100 ms). */
  debounceMs?: number;
  /** Announce to every peer this often even without a change (default 30 s). */
  refreshMs?: number;
  /** Wait before trying a peer again after a failed announcement (default 2 s). */
  retryMs?: number;
  /** Told about each failed announcement; must not throw. */
  onError?: (peer: string, error: unknown) => void;
}

interface PeerState {
  /** An announcement is due. */
  dirty: boolean;
  sending: boolean;
  retryTimer: ReturnType<typeof setTimeout> | undefined;
}

export class Announcer {
  readonly #options: AnnouncerOptions;
  readonly #peers = new Map<string, PeerState>();
  #debounce: ReturnType<typeof setTimeout> | undefined;
  #refresh: ReturnType<typeof setInterval> | undefined;
  #running = false;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(options: AnnouncerOptions) {
    this.#options = options;
    this.setPeers(options.peers ?? []);
  }

  /** Replaces the peers; a new peer gets an announcement at once (when running). */
  setPeers(peers: readonly string[]): void {
    for (const [id, state] of this.#peers) {
      if (peers.includes(id)) continue;
      clearTimeout(state.retryTimer);
      this.#peers.delete(id);
    }
    for (const id of peers) {
      if (this.#peers.has(id)) continue;
      this.#peers.set(id, { dirty: true, sending: false, retryTimer: undefined });
      if (this.#running) this.#sendTo(id);
    }
  }

  /** Announces to every peer now, then on every change and every `refreshMs`. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    const refreshMs = this.#options.refreshMs ?? DEFAULT_ANNOUNCE_REFRESH_MS;
    this.#refresh = setInterval(() => this.#markAllAndSend(), refreshMs);
    this.#refresh.unref?.();
    this.#markAllAndSend();
  }

  /**
   * Something this gateway announces changed (its Triggers: `setLocalInterest` returned true; or
   * what it learned: `applyAnnouncement` returned `changed`, or a peer was removed): every peer
   * gets a new announcement after the debounce.
   */
  changed(): void {
    for (const state of this.#peers.values()) state.dirty = true;
    if (!this.#running || this.#debounce !== undefined) return;
    this.#debounce = setTimeout(() => {
      this.#debounce = undefined;
      this.#sendAllDirty();
    }, this.#options.debounceMs ?? DEFAULT_ANNOUNCE_DEBOUNCE_MS);
    this.#debounce.unref?.();
  }

  /** Sends what is due now, without waiting for the debounce, and waits for every send in flight. */
  async flush(): Promise<void> {
    if (this.#debounce !== undefined) {
      clearTimeout(this.#debounce);
      this.#debounce = undefined;
    }
    this.#sendAllDirty();
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  /** Stops every timer; sends in flight finish on their own. */
  stop(): void {
    this.#running = false;
    clearTimeout(this.#debounce);
    this.#debounce = undefined;
    clearInterval(this.#refresh);
    this.#refresh = undefined;
    for (const state of this.#peers.values()) {
      clearTimeout(state.retryTimer);
      state.retryTimer = undefined;
    }
  }

  #markAllAndSend(): void {
    for (const state of this.#peers.values()) state.dirty = true;
    this.#sendAllDirty();
  }

  #sendAllDirty(): void {
    for (const [id, state] of this.#peers) if (state.dirty) this.#sendTo(id);
  }

  #sendTo(peer: string): void {
    const state = this.#peers.get(peer);
    if (state === undefined || state.sending || !this.#running) return;
    clearTimeout(state.retryTimer);
    state.retryTimer = undefined;
    state.sending = true;
    // Built at the last moment, so that it holds every change made until now.
    state.dirty = false;
    const announcement = this.#options.table.buildAnnouncement(peer);
    const done = this.#options.send(peer, announcement).then(
      () => {
        state.sending = false;
        // Changed while it was on its way: send the newer one.
        if (state.dirty && this.#peers.get(peer) === state) this.#sendTo(peer);
      },
      (error: unknown) => {
        state.sending = false;
        state.dirty = true;
        try {
          this.#options.onError?.(peer, error);
        } catch {
          // a logging hook must not stop the retries
        }
        if (!this.#running || this.#peers.get(peer) !== state) return;
        state.retryTimer = setTimeout(
          () => this.#sendTo(peer),
          this.#options.retryMs ?? DEFAULT_ANNOUNCE_RETRY_MS,
        );
        state.retryTimer.unref?.();
      },
    );
    this.#inFlight.add(done);
    void done.finally(() => this.#inFlight.delete(done));
  }
}
