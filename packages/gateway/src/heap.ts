/**
 * How far the V8 heap may grow past what is live before a full collection. V8's own rule, on a
 * machine with a few GiB of memory, lets the old generation reach about four times its live size,
 * so a gateway holding 80 MB of Triggers could sit at 400 MB between collections: memory set by
 * the machine, not by the work. `meshgate start` lets it grow 30% instead (measured with
 * bench/gateway/memory.bench.ts, 10,000 Triggers at 5,000 events/s: peak RSS about 235 MB at 30%,
 * 265 MB at 50%, 445 MB with V8's default, before the config loader streamed its YAML; the
 * ingress benchmark showed no throughput change beyond its noise).
 * `MESHGATE_HEAP_GROWTH_PERCENT` changes it; 0 leaves V8's default.
 *
 * A small live heap gets a floor of room instead: 30% of a 28 MB heap (a bridge with a few
 * resources) is 8 MB, and a gateway moving thousands of events a second, whose in-flight events
 * outlive the young generation, filled that in a fraction of a second: a full collection every
 * 0.4 s, about 12 µs of CPU per event on the RabbitMQ bridge benchmark. After each full
 * collection the percentage is set so that the room is at least `MIN_HEAP_HEADROOM_BYTES`.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { ConfigError } from '@meshgate/core';

export const DEFAULT_HEAP_GROWTH_PERCENT = 30;
/** The least room past the live heap before a full collection. */
export const MIN_HEAP_HEADROOM_BYTES = 32 * 1024 * 1024;
/** V8's own largest growth factor is 4x. */
const MAX_HEAP_GROWTH_PERCENT = 300;

/** Reads the setting (env var, else the default); throws a ConfigError naming a bad value. */
export function heapGrowthPercent(env: NodeJS.ProcessEnv): number {
  const raw = env.MESHGATE_HEAP_GROWTH_PERCENT;
  if (raw === undefined || raw.trim() === '') return DEFAULT_HEAP_GROWTH_PERCENT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 1000) {
    throw new ConfigError(
      `MESHGATE_HEAP_GROWTH_PERCENT must be an integer from 0 (V8's default) to 1000, got ${JSON.stringify(raw)}`,
    );
  }
  return n;
}

/** The growth percentage for a live heap: `percent` of it, but at least `floorBytes` of room. */
export function growthPercentFor(
  liveBytes: number,
  percent: number,
  floorBytes = MIN_HEAP_HEADROOM_BYTES,
): number {
  if (!(liveBytes > 0)) return Math.max(percent, MAX_HEAP_GROWTH_PERCENT);
  const forFloor = Math.ceil((floorBytes / liveBytes) * 100);
  return Math.max(percent, Math.min(forFloor, MAX_HEAP_GROWTH_PERCENT));
}

/**
 * Applies it to this process; V8 reads the flag each time it sizes the heap after a collection.
 * Returns the configured percentage (0: V8's rule, nothing is changed or observed).
 */
export function tuneHeap(env: NodeJS.ProcessEnv): number {
  const percent = heapGrowthPercent(env);
  if (percent === 0) return 0;
  let current = 0;
  const apply = (p: number) => {
    // Small changes are not worth a flag write; V8 sizes the heap in coarse steps anyway.
    if (Math.abs(p - current) < 5) return;
    current = p;
    setFlagsFromString(`--heap-growing-percent=${p}`);
  };
  apply(percent);
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        apply(growthPercentFor(getHeapStatistics().used_heap_size, percent));
      }
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return percent;
}
