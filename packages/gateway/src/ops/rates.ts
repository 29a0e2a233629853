/**
 * Per-second rates from monotonically growing counters over a short window. Sampled only when
 * someone asks (the topology view), so an unwatched gateway does no work.
 */
export const DEFAULT_RATE_WINDOW_MS = 5_000;

interface Sample {
  at: number;
  values: Map<string, number>;
}

export class RateTracker {
  private readonly samples: Sample[] = [];

  constructor(
    private readonly windowMs = DEFAULT_RATE_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Records the current counter values and returns each counter's rate per second since the
   * oldest sample in the window (0 when there is no earlier sample, or a counter went down: reload).
   */
  observe(values: Map<string, number>): Map<string, number> {
    const at = this.now();
    while (this.samples.length > 1 && at - (this.samples[1] as Sample).at >= this.windowMs)
      this.samples.shift();
    const base = this.samples[0];
    const rates = new Map<string, number>();
    for (const [key, value] of values) {
      const before = base?.values.get(key);
      const dt = base ? (at - base.at) / 1000 : 0;
      rates.set(key, before === undefined || dt <= 0 || value < before ? 0 : (value - before) / dt);
    }
    // Keep at most one sample per 100 ms so a fast poller does not grow the list.
    const last = this.samples[this.samples.length - 1];
    if (!last || at - last.at >= 100) this.samples.push({ at, values });
    return rates;
  }
}
