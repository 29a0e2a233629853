/**
 * Token-bucket rate limits, one bucket per key (a Broker, a sender). A bucket holds up to `burst`
 * tokens and refills at `perSecond`; a request takes one. The map of buckets is bounded: full
 * buckets (idle senders) are dropped first, so a flood of distinct senders cannot fill memory.
 */
export interface RateSpec {
  /** Sustained requests per second. */
  perSecond: number;
  /** Requests allowed at once after an idle time. Default: `perSecond` (at least 1). */
  burst?: number;
}

const MAX_BUCKETS = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly burst: number;
  private readonly perMs: number;

  constructor(
    spec: RateSpec,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.perMs = spec.perSecond / 1000;
    this.burst = Math.max(1, spec.burst ?? Math.ceil(spec.perSecond));
  }

  /** Takes a token for `key`: 0 when allowed, else the seconds to wait (for Retry-After). */
  take(key: string): number {
    const t = this.now();
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= MAX_BUCKETS) this.evict(t);
      b = { tokens: this.burst, at: t };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + (t - b.at) * this.perMs);
      b.at = t;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000));
  }

  private evict(t: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + (t - b.at) * this.perMs >= this.burst) this.buckets.delete(k);
    }
    // Still full: everyone is busy; forget the oldest half rather than grow.
    if (this.buckets.size >= MAX_BUCKETS) {
      let n = this.buckets.size / 2;
      for (const k of this.buckets.keys()) {
        if (n-- <= 0) break;
        this.buckets.delete(k);
      }
    }
  }
}
