/**
 * Routing benchmark (issue 3, "Routing that scales with Triggers"): the time to find the Triggers
 * matching one event among 10, 1,000 and 10,000 Triggers, with TriggerIndex and, as the baseline
 * in the same run, by evaluating every Trigger's filter (what Knative's broker filter does).
 *
 * Trigger mix: 90% `exact` on `type` or `source` (half each, the source ones written as Knative
 * `filter.attributes`), 10% CESQL expressions that constrain `type` or `source` next to other
 * conditions (equality, LIKE prefix, IN). Events draw their type and source uniformly from the
 * same value ranges, so each event matches about 0.75 Triggers at every size, and the Triggers
 * an event touches are spread over the whole set (no cache-friendly hot set).
 * A last row shows the case the index cannot help: 10% CESQL with no indexable condition.
 *
 * The machine is shared, so every configuration is measured in short bursts, interleaved, many
 * times: interference only ever adds time, hence both the best and the median burst are shown.
 * All index bursts run before all baseline bursts (see below).
 *
 * Run: npx tsx bench/routing/routing.bench.ts [--quick]
 * Target: the index costs at most 3x as much per event with 10,000 Triggers as with 10.
 */
import { makeEvent } from '../../packages/core/src/event/mesh-event.js';
import type { MeshEvent } from '../../packages/core/src/event/mesh-event.js';
import { type CompiledFilter, TriggerIndex, compileFilter } from '../../packages/core/src/filter/index.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 5 : 15;
const BURST_MS = quick ? 50 : 100;
const EVENTS = 4_096; // a power of two: the event index wraps with a mask
const CHECKED_EVENTS = 512;

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

/** CESQL filters; the indexable ones constrain type or source, the rest of each expression does not. */
function cesqlFor(i: number, indexable: boolean): string {
  if (!indexable) return `LOWER(subject) = 'order-${i}' AND region <> 'us'`;
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
      subject: next() < 0.5 ? `order-${pick()}` : 'ignored',
      region: next() < 0.5 ? 'eu' : 'us',
      datacontenttype: 'application/json',
    }),
  );
}

interface Config {
  label: string;
  n: number;
  events: MeshEvent[];
  residual: number;
  matchesPerEvent: number;
  /** Filters the index evaluated per event (evaluating every filter makes `n`). */
  evaluationsPerEvent: number;
  /** Routes one event, returning the number of matching Triggers. */
  viaIndex: (e: MeshEvent) => number;
  viaAll: (e: MeshEvent) => number;
  times: { index: number[]; all: number[] };
}

function setUp(n: number, indexableCesql: boolean, label: string): Config {
  const filters = triggers(n, indexableCesql);
  const index = new TriggerIndex<number>();
  for (const [i, f] of filters.entries()) index.add(`t${i}`, f, i);
  const evs = events(n);
  // Both ways must agree before their speed means anything.
  let matches = 0;
  const evaluationsBefore = index.evaluations;
  for (const e of evs.slice(0, CHECKED_EVENTS)) {
    const found = index.match(e);
    const expected = filters.flatMap((f, i) => (f.matches(e) ? [i] : []));
    if (found.join() !== expected.join()) throw new Error(`index and brute force disagree at n=${n}`);
    matches += found.length;
  }
  return {
    label,
    n,
    events: evs,
    residual: index.residualCount,
    matchesPerEvent: matches / CHECKED_EVENTS,
    evaluationsPerEvent: (index.evaluations - evaluationsBefore) / CHECKED_EVENTS,
    viaIndex: (e) => index.match(e).length,
    viaAll: (e) => {
      let m = 0;
      for (const f of filters) if (f.matches(e)) m++;
      return m;
    },
    times: { index: [], all: [] },
  };
}

/** Summed match counts, printed at the end so that no routing call can be optimised away. */
let sink = 0;
let cursor = 0;

/** Routes events for about BURST_MS; returns ns per event. */
function burst(route: (e: MeshEvent) => number, evs: readonly MeshEvent[]): number {
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(BURST_MS) * 1_000_000n;
  let routed = 0;
  let now = start;
  while (now < deadline) {
    for (let k = 0; k < 16; k++) sink += route(evs[cursor++ & (EVENTS - 1)]!);
    routed += 16;
    now = process.hrtime.bigint();
  }
  return Number(now - start) / routed;
}

const configs = [10, 1_000, 10_000].map((n) => setUp(n, true, n.toLocaleString('en-US')));
configs.push(setUp(10_000, false, '10,000, CESQL not indexable'));

// The index first, then the baseline: a burst of the baseline sweeps every filter of a
// configuration through the caches, which would otherwise charge the index for refilling them.
for (const mode of ['index', 'all'] as const) {
  for (const c of configs) burst(mode === 'index' ? c.viaIndex : c.viaAll, c.events); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of configs) c.times[mode].push(burst(mode === 'index' ? c.viaIndex : c.viaAll, c.events));
  }
}

const best = (xs: number[]) => Math.min(...xs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ns: number) => Math.round(ns).toLocaleString('en-US');

console.log(
  `\nRouting, ns per event: best / median of ${ROUNDS} interleaved ${BURST_MS} ms bursts (Node ${process.version})\n`,
);
console.log(
  '| Triggers | residual | matches/event | filters evaluated/event | TriggerIndex | evaluate every filter | speed-up (median) |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const c of configs) {
  const [ib, im, ab, am] = [
    best(c.times.index),
    median(c.times.index),
    best(c.times.all),
    median(c.times.all),
  ];
  console.log(
    `| ${c.label} | ${c.residual} | ${c.matchesPerEvent.toFixed(2)} | ${c.evaluationsPerEvent.toFixed(2)} | ${fmt(ib)} / ${fmt(im)} | ${fmt(ab)} / ${fmt(am)} | ${(am / im).toFixed(0)}x |`,
  );
}
const [small, large] = [configs[0]!, configs[2]!];
const ratio = (xs: number[], ys: number[], f: (v: number[]) => number) => (f(xs) / f(ys)).toFixed(2);
console.log(
  `\nTriggerIndex, 10,000 vs 10 Triggers: ${ratio(large.times.index, small.times.index, best)}x best, ` +
    `${ratio(large.times.index, small.times.index, median)}x median (target <= 3x)`,
);
console.log(
  `Evaluate every filter, 10,000 vs 10 Triggers: ${ratio(large.times.all, small.times.all, median)}x median (checksum ${sink})`,
);
