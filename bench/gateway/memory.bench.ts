/**
 * Issue 3 memory benchmark: resident set of a gateway process with 10,000 Triggers (90% exact on
 * type or source, 10% CESQL) while it takes events at a steady 5,000 events/s (open loop) and
 * delivers each to the Triggers that match (about one) at an HTTP sink in another process.
 * RSS is read from /proc/<pid>/status every 500 ms. The gateway is the built `meshgate` command
 * (as users run it), with its default heap growth (MESHGATE_HEAP_GROWTH_PERCENT, default 30).
 * Baseline in the same script: the same gateway with 10 Triggers, same load.
 *
 * Run: npx tsx bench/gateway/memory.bench.ts [--quick]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  eventHeaders,
  openLoop,
  startLatencySink,
  startMeshgateProcess,
  table,
  waitFor,
} from '../support/bench-kit.js';

const quick = process.argv.includes('--quick');
const RATE = 5_000;
const DURATION_MS = quick ? 4_000 : 10_000;

function config(triggers: number, sinkUrl: string): string {
  const docs = [
    `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default, namespace: bench, annotations: { meshgate.io/buffer-size: "200000" } }`,
  ];
  for (let i = 0; i < triggers; i++) {
    const filter =
      i % 10 === 9
        ? `filters: [ { cesql: "type = 'com.example.t${i}' AND subject LIKE 'eu-%'" } ]`
        : i % 2 === 0
          ? `filter: { attributes: { type: com.example.t${i} } }`
          : `filter: { attributes: { source: /bench/s${i} } }`;
    docs.push(`apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: t${i}, namespace: bench }
spec: { broker: default, ${filter}, subscriber: { uri: "${sinkUrl}/" } }`);
  }
  const file = join(mkdtempSync(join(tmpdir(), 'meshgate-mem-')), 'gateway.yaml');
  writeFileSync(file, docs.join('\n---\n'));
  return file;
}

/** The process's resident set from /proc (not from /metrics: scraping must not be what we measure). */
async function rss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = status.match(/^VmRSS:\s+(\d+) kB/m);
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

async function run(triggers: number) {
  const sink = await startLatencySink();
  const t0 = performance.now();
  const gw = await startMeshgateProcess(config(triggers, sink.url));
  console.error(
    `[memory] ${triggers} triggers: gateway up in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const idle = await rss(gw.child.pid as number);
  let peak = idle;
  const sampler = setInterval(() => {
    rss(gw.child.pid as number).then(
      (v) => {
        if (v > peak) peak = v;
      },
      () => {},
    );
  }, 500);
  let n = 0;
  // Each event matches about one Trigger: alternate types and sources of the exact filters.
  const headers = () => {
    const h = eventHeaders(`com.example.t${(n * 2) % triggers}`);
    n++;
    return h;
  };
  const { sent, refused } = await openLoop(`${gw.url}/bench/default`, RATE, DURATION_MS, headers);
  console.error(`[memory] ${triggers} triggers: sent ${sent}, refused ${refused}`);
  let delivered = 0;
  await waitFor(async () => {
    delivered += (await sink.report()).count;
    return delivered >= sent - refused;
  }, 60_000).catch(() => {});
  clearInterval(sampler);
  const after = await rss(gw.child.pid as number);
  gw.stop();
  sink.stop();
  return {
    triggers,
    idleMb: idle / 2 ** 20,
    peakMb: Math.max(peak, after) / 2 ** 20,
    sent,
    refused,
    delivered,
  };
}

const rows = [];
for (const triggers of [10, 10_000]) rows.push(await run(triggers));
console.log(`\nGateway resident memory at ${RATE} events/s for ${DURATION_MS / 1000} s (open loop)\n`);
console.log(
  table(
    ['triggers', 'RSS idle MB', 'RSS peak MB', 'sent', 'refused', 'delivered'],
    rows.map((r) => [r.triggers, r.idleMb, r.peakMb, r.sent, r.refused, r.delivered]),
  ),
);
const big = rows[1];
console.log(`\n10,000 Triggers peak RSS: ${big?.peakMb.toFixed(0)} MB (target < 250 MB)`);
process.exit(0);
