/**
 * Issue 3 benchmark: HTTP ingress -> memory Broker -> one Trigger -> HTTP sink in another
 * process, small JSON events in binary mode over keep-alive, against a baseline in the same
 * script: a bare node:http server forwarding each request with undici (baseline-forwarder.ts).
 *
 * - Throughput: closed loop, 32 requests in flight, events/s counted at the sink (from the first
 *   request until the sink has every accepted event), rounds interleaved baseline/meshgate.
 * - Latency: open loop at 1,000 events/s; p50/p99 from the load generator's send time to the
 *   sink's receive time (same machine clock).
 *
 * Run: npx tsx bench/gateway/ingress.bench.ts [--quick]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  closedLoop,
  cpuSeconds,
  openLoop,
  percentile,
  startLatencySink,
  startMeshgateProcess,
  startScript,
  table,
  waitFor,
} from '../support/bench-kit.js';

const quick = process.argv.includes('--quick');
const DURATION_MS = quick ? 3_000 : 8_000;
const ROUNDS = quick ? 1 : 2;
const CONCURRENCY = 32;
const OPEN_RATE = 1_000;
const OPEN_MS = quick ? 3_000 : 6_000;

const sink = await startLatencySink();
const dir = mkdtempSync(join(tmpdir(), 'meshgate-bench-'));
const config = join(dir, 'gateway.yaml');
writeFileSync(
  config,
  `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default, namespace: bench, annotations: { meshgate.io/buffer-size: "100000" } }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: t, namespace: bench, annotations: { meshgate.io/max-in-flight: "64" } }
spec:
  broker: default
  filter: { attributes: { type: com.example.bench } }
  subscriber: { uri: ${sink.url}/ }
`,
);
const meshgate = await startMeshgateProcess(config);
const baseline = await startScript('bench/gateway/baseline-forwarder.ts', [`${sink.url}/`]);
const targets = { baseline: `${baseline.url}/`, meshgate: `${meshgate.url}/bench/default` };

const pids = { baseline: baseline.child.pid as number, meshgate: meshgate.child.pid as number };
const cpuPerEvent: Record<'baseline' | 'meshgate', number[]> = { baseline: [], meshgate: [] };

async function throughput(name: 'baseline' | 'meshgate'): Promise<number> {
  const url = targets[name];
  await sink.report(); // reset
  const cpuBefore = await cpuSeconds(pids[name]);
  const start = performance.now();
  const { accepted } = await closedLoop(url, CONCURRENCY, DURATION_MS);
  let delivered = 0;
  await waitFor(async () => {
    delivered += (await sink.report()).count;
    return delivered >= accepted;
  }, 30_000);
  cpuPerEvent[name].push(((await cpuSeconds(pids[name])) - cpuBefore) / delivered);
  return delivered / ((performance.now() - start) / 1000);
}

async function latency(url: string): Promise<{ p50: number; p99: number; refused: number }> {
  await sink.report();
  const { refused, sent } = await openLoop(url, OPEN_RATE, OPEN_MS);
  const all: number[] = [];
  await waitFor(async () => {
    all.push(...(await sink.report()).latencies);
    return all.length >= sent - refused;
  }, 30_000);
  return { p50: percentile(all, 50), p99: percentile(all, 99), refused };
}

// Warm up both paths (JIT, connections).
await closedLoop(targets.baseline, CONCURRENCY, 1_000);
await closedLoop(targets.meshgate, CONCURRENCY, 1_000);

const rates: Record<'baseline' | 'meshgate', number[]> = { baseline: [], meshgate: [] };
for (let r = 0; r < ROUNDS; r++) {
  for (const name of ['baseline', 'meshgate'] as const) rates[name].push(await throughput(name));
}
const lat = { baseline: await latency(targets.baseline), meshgate: await latency(targets.meshgate) };

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(
  `\nIngress -> memory broker -> trigger -> HTTP sink (${ROUNDS} round(s) of ${DURATION_MS / 1000} s, ${CONCURRENCY} in flight; latency at ${OPEN_RATE} events/s)\n`,
);
console.log(
  table(
    ['path', 'events/s (rounds)', 'mean events/s', 'p50 ms @1k/s', 'p99 ms @1k/s'],
    (['baseline', 'meshgate'] as const).map((n) => [
      n,
      rates[n].map((x) => Math.round(x)).join(', '),
      Math.round(mean(rates[n])),
      lat[n].p50,
      lat[n].p99,
    ]),
  ),
);
console.log(
  `\nCPU per delivered event in the relaying process: baseline ${(mean(cpuPerEvent.baseline) * 1e6).toFixed(0)} µs, meshgate ${(mean(cpuPerEvent.meshgate) * 1e6).toFixed(0)} µs (${(mean(cpuPerEvent.meshgate) / mean(cpuPerEvent.baseline)).toFixed(2)}x)`,
);
console.log(
  `\nmeshgate / baseline throughput: ${(mean(rates.meshgate) / mean(rates.baseline)).toFixed(2)}x (target >= 0.70)`,
);
console.log(
  `p99 added by meshgate at 1k/s: ${(lat.meshgate.p99 - lat.baseline.p99).toFixed(2)} ms (target < 2 ms); refused: ${lat.meshgate.refused}`,
);

meshgate.stop();
baseline.stop();
sink.stop();
process.exit(0);
