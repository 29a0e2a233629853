import { makeEvent } from '../../packages/core/src/event/mesh-event.js';
import { TriggerIndex, compileFilter, type TriggerFilterSpec } from '../../packages/core/src/filter/index.js';
const mode = process.argv[2]!;
const typeOf = (i: number) => `com.example.orders.type${i}`;
const sourceOf = (i: number) => `/apps/shop/instances/${i}`;
function spec(i: number): TriggerFilterSpec {
  switch (mode) {
    case 'exact': return { filters: [{ exact: { type: typeOf(i) } }] };
    case 'attrs': return { filter: { attributes: { source: sourceOf(i) } } };
    case 'prefix': return { filters: [{ prefix: { source: `${sourceOf(i)}/` } }] };
    case 'cesql': return { filters: [{ cesql: `type = '${typeOf(i)}' AND (subject LIKE 'order-%' OR region = 'eu')` }] };
    default: return { filters: [{ cesql: `type IN ('${typeOf(i)}', '${typeOf(i)}.v2') AND region <> 'us'` }] };
  }
}
const setups = [10, 10000].map((n) => {
  const index = new TriggerIndex<number>();
  for (let i = 0; i < n; i++) index.add(`t${i}`, compileFilter(spec(i)), i);
  const evs = Array.from({ length: 4096 }, (_, k) => makeEvent({ id: String(k), type: typeOf((k * 7919) % n), source: `${sourceOf((k * 7919) % n)}/x`, subject: 'order-1', region: 'eu' }));
  return { n, index, evs, t: [] as number[] };
});
let sink = 0;
for (let r = 0; r < 80; r++) for (const s of setups) {
  const t0 = process.hrtime.bigint();
  for (let j = 0; j < 3; j++) for (const e of s.evs) sink += s.index.match(e).length;
  s.t.push(Number(process.hrtime.bigint() - t0) / (3 * 4096));
}
const out = setups.map((s) => { s.t.sort((a, b) => a - b); return `${s.n}: ${s.t[0]!.toFixed(0)}/${s.t[40]!.toFixed(0)}`; });
console.log(mode.padEnd(6), out.join('  '), 'ratio best', (setups[1]!.t[0]! / setups[0]!.t[0]!).toFixed(2), sink > 0);
