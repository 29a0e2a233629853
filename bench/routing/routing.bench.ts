/**
 * Routing benchmark (issue 3, "Routing that scales with Triggers"): the time to find the Triggers
 * matching one event among 10, 1,000 and 10,000 Triggers, with TriggerIndex and, as the baseline
 * in the same run, by evaluating every Trigger's filter (what Knative's broker filter does).
 *
 * Trigger mix: 90% `exact` on `type` or `source` (half each), 10% CESQL expressions that constrain
 * `type` or `source` next to other conditions (equality, LIKE prefix, IN). Events draw their type
 * and source from the same value ranges, so each event matches about one Trigger at every size.
 * A last row shows the case the index cannot help: 10% CESQL with no indexable condition.
 *
 * Run: npx tsx bench/routing/routing.bench.ts [--quick]
 * Target: the index costs at most 3x as much per event with 10,000 Triggers as with 10.
 */
import { makeEvent } from '../../packages/core/src/event/mesh-event.js';
import type { MeshEvent } from '../../packages/core/src/event/mesh-event.js';
import { type CompiledFilter, TriggerIndex, compileFilter } from '../../packages/core/src/filter/index.js';

const quick = process.argv.includes('--quick');
const SIZES = [10, 1_000, 10_000];
const EVENTS = 4_096;
const MEASURE_MS = quick ? 150 : 400;
const ROUNDS = quick ? 3 : 5;

/** A small deterministic PRNG (mulberry32), so that every run routes the same events. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const typeOf = (i: number) => `com.example.orders.type${i}`;
const sourceOf = (i: number) => `/apps/shop/instances/${i}`;

/** CESQL filters: one constrains type or source (indexable), the rest of the expression does not. */
function cesqlFor(i: number, indexable: boolean): string {
  if (!indexable) return `subject = 'order-${i}' OR (EXISTS region AND region = 'eu${i}')`;
  switch (i % 3) {
    case 0:
      return `type = '${typeOf(i)}' AND (subject LIKE 'order-%' OR region = 'eu')`;
    case 1:
      return `source LIKE '${sourceOf(i)}/%' AND NOT (subject = 'ignored')`;
    default:
      return `type IN ('${typeOf(i)}', '${typeOf(i)}.v2') AND region <> 'us'`;
  }
}

function triggers(n: number, indexableCesql: boolean): CompiledFilter[] {
  const out: CompiledFilter[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 10 === 9) out.push(compileFilter({ filters: [{ cesql: cesqlFor(i, indexableCesql) }] }));
    else if (i % 2 === 0) out.push(compileFilter({ filters: [{ exact: { type: typeOf(i) } }] }));
    else out.push(compileFilter({ filter: { attributes: { source: sourceOf(i) } } }));
  }
  return out;
}

function events(n: number): MeshEvent[] {
  const next = random(42);
  const pick = () => Math.floor(next() * n);
  return Array.from({ length: EVENTS }, (_, k) =>
    makeEvent({
      specversion: '1.0',
      id: String(k),
      type: typeOf(pick()),
      source: next() < 0.5 ? sourceOf(pick()) : `${sourceOf(pick())}/orders`,
      subject: next() < 0.5 ? `order-${k}` : 'ignored',
      region: next() < 0.5 ? 'eu' : 'us',
      datacontenttype: 'application/json',
    }),
  );
}

/** Summed match counts, printed at the end so that no routing call can be optimised away. */
let sink = 0;

/** Median ns per event over ROUNDS timed rounds, after a warm-up of the same length. */
function measure(route: (e: MeshEvent) => number, evs: readonly MeshEvent[]): number {
  const round = (): number => {
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(MEASURE_MS) * 1_000_000n;
    let routed = 0;
    let now = start;
    while (now < deadline) {
      for (let k = 0; k < 256; k++) sink += route(evs[(routed + k) & (EVENTS - 1)]!);
      routed += 256;
      now = process.hrtime.bigint();
    }
    return Number(now - start) / routed;
  };
  round(); // warm-up: JIT, inline caches, CESQL adaptive ordering
  const times: number[] = [];
  for (let r = 0; r < ROUNDS; r++) times.push(round());
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

interface Row {
  label: string;
  n: number;
  index: number;
  brute: number;
  perEvent: number;
  residual: number;
}

function run(n: number, indexableCesql: boolean, label: string): Row {
  const filters = triggers(n, indexableCesql);
  const index = new TriggerIndex<number>();
  filters.forEach((f, i) => index.add(`t${i}`, f, i));
  const evs = events(n);
  // Both ways must agree before their speed means anything.
  let perEvent = 0;
  for (const e of evs) {
    const viaIndex = index.match(e);
    const viaAll = filters.flatMap((f, i) => (f.matches(e) ? [i] : []));
    if (viaIndex.join() !== viaAll.join()) throw new Error(`index and brute force disagree at n=${n}`);
    perEvent += viaIndex.length;
  }
  const viaIndex = measure((e) => index.match(e).length, evs);
  const brute = measure((e) => {
    let m = 0;
    for (const f of filters) if (f.matches(e)) m++;
    return m;
  }, evs);
  return { label, n, index: viaIndex, brute, perEvent: perEvent / evs.length, residual: index.residualCount };
}

const fmt = (ns: number) => (ns < 10_000 ? ns.toFixed(0) : Math.round(ns).toLocaleString('en-US'));
const rows = SIZES.map((n) => run(n, true, `${n.toLocaleString('en-US')}`));
rows.push(run(10_000, false, '10,000 (CESQL not indexable)'));

console.log(
  `\nRouting: ns per event, median of ${ROUNDS} rounds of ${MEASURE_MS} ms (Node ${process.version})\n`,
);
console.log(
  '| Triggers | residual | matches/event | TriggerIndex ns/event | evaluate-all ns/event | speed-up |',
);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(
    `| ${r.label} | ${r.residual} | ${r.perEvent.toFixed(2)} | ${fmt(r.index)} | ${fmt(r.brute)} | ${(r.brute / r.index).toFixed(1)}x |`,
  );
}
const small = rows[0]!;
const large = rows[2]!;
const ratio = large.index / small.index;
console.log(
  `\nTriggerIndex 10,000 vs 10: ${ratio.toFixed(2)}x (target <= 3x: ${ratio <= 3 ? 'met' : 'NOT met'}); ` +
    `evaluate-all 10,000 vs 10: ${(large.brute / small.brute).toFixed(0)}x (checksum ${sink})`,
);
