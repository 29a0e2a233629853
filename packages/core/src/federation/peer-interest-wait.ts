/**
 * Holds a gateway's forwarding until it knows what its peers want. Interest learned from peers
 * lives in memory, so a gateway that has just started (or has just been given a new Peer) knows
 * nothing of that peer: planning then would count every event as "filtered out" and ack it,
 * losing what waited in a durable channel across the restart and what was published in the
 * first moments. So forwarding waits until each configured peer has announced, or until its
 * wait (`spec.federation.peerInterestWait`) runs out: a peer still silent then (down, or not
 * deployed yet) is taken to want nothing until it does announce, and `onGiveUp` says so.
 * Transport-free, like the Announcer: the caller awaits `ready()` before `FederationNode.forward`,
 * calls `heard()` after applying an announcement, and `setPeers` with its Peer list.
 */

export interface PeerInterestWaitOptions {
  /** Whether an announcement from this peer has been applied in this run. */
  heard: (peer: string) => boolean;
  /** How long to wait for each peer, counted from when it was configured. */
  waitMs: number;
  /** Told once per peer whose wait ran out before it announced. */
  onGiveUp?: (peer: string) => void;
  now?: () => number;
}

export class PeerInterestWait {
  readonly #options: PeerInterestWaitOptions;
  /** When each configured peer's wait ends. */
  readonly #deadlines = new Map<string, number>();
  readonly #gaveUp = new Set<string>();
  #waiters: (() => void)[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Nothing to wait for: the hot path checks only this. */
  #open = true;

  constructor(options: PeerInterestWaitOptions) {
    this.#options = options;
  }

  /** The configured peers; a new one starts its wait now. */
  setPeers(peers: readonly string[]): void {
    const now = this.#now();
    for (const id of this.#deadlines.keys()) {
      if (!peers.includes(id)) {
        this.#deadlines.delete(id);
        this.#gaveUp.delete(id);
      }
    }
    for (const id of peers) {
      if (!this.#deadlines.has(id)) this.#deadlines.set(id, now + this.#options.waitMs);
    }
    this.#update();
  }

  /** An announcement was applied: the wait may be over. */
  heard(): void {
    if (!this.#open) this.#update();
  }

  /** `undefined` when forwarding may go on now; otherwise a promise that resolves when it may. */
  ready(): Promise<void> | undefined {
    if (this.#open) return undefined;
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** The peers forwarding is waiting for now. */
  waitingFor(): string[] {
    const now = this.#now();
    return [...this.#deadlines]
      .filter(([id, end]) => now < end && !this.#options.heard(id))
      .map(([id]) => id);
  }

  /** Lets everything waiting go (shutdown) and stops the timer. */
  release(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#open = true;
    this.#deadlines.clear();
    this.#wake();
  }

  #update(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const now = this.#now();
    let next = Number.POSITIVE_INFINITY;
    for (const [id, end] of this.#deadlines) {
      if (this.#options.heard(id)) continue;
      if (now < end) next = Math.min(next, end);
      else if (!this.#gaveUp.has(id)) {
        this.#gaveUp.add(id);
        this.#options.onGiveUp?.(id);
      }
    }
    this.#open = next === Number.POSITIVE_INFINITY;
    if (this.#open) {
      this.#wake();
      return;
    }
    this.#timer = setTimeout(() => this.#update(), next - now);
    this.#timer.unref?.();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }
}
