/**
 * How far the V8 heap may grow past what is live before a full collection. V8's own rule, on a
 * machine with a few GiB of memory, lets the old generation reach about four times its live size,
 * so a gateway holding 80 MB of Triggers could sit at 400 MB between collections: memory set by
 * the machine, not by the work. `meshgate start` lets it grow 30% instead (measured with
 * bench/gateway/memory.bench.ts, 10,000 Triggers at 5,000 events/s: peak RSS about 235 MB at 30%,
 * 265 MB at 50%, 445 MB with V8's default, before the config loader streamed its YAML; the
 * ingress benchmark showed no throughput change beyond its noise).
 * `MESHGATE_HEAP_GROWTH_PERCENT` changes it; 0 leaves V8's default.
 */
import { setFlagsFromString } from 'node:v8';
import { ConfigError } from '@meshgate/core';

export const DEFAULT_HEAP_GROWTH_PERCENT = 30;

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

/** Applies it to this process; V8 reads the flag each time it sizes the heap after a collection. */
export function tuneHeap(env: NodeJS.ProcessEnv): number {
  const percent = heapGrowthPercent(env);
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
  return percent;
}
