import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeEvent } from '../event/mesh-event.js';
import type { MeshEvent } from '../event/mesh-event.js';
import { TriggerFilter, compileFilter } from './compile.js';
import { atomHolds } from './requirement.js';
import { EXACT_GUARD_MIN, TriggerIndex } from './trigger-index.js';
import type { CompiledFilter, SubscriptionsApiFilter, TriggerFilterSpec } from './types.js';

// Few names and values that share prefixes and suffixes, so that random filters often match;
// `constructor` is a valid attribute name that Object.prototype also has; '5', '05' and 'TRUE'
// meet Integer and Boolean attributes in CESQL's casts.
const NAMES = ['type', 'source', 'subject', 'ext', 'constructor'] as const;
const VALUES = ['a', 'ab', 'abc', 'b', 'ba', 'bab', 'cab', '5', '05', 'TRUE', 'true'] as const;
const name = fc.constantFrom(...NAMES);
const value = fc.constantFrom(...VALUES);

const likePattern = fc
  .array(fc.oneof(value, fc.constantFrom('%', '_')), { minLength: 1, maxLength: 4 })
  .map((pieces) => pieces.join(''));

/** CESQL over the given names and the values, built from the shapes the index reads and some it must not. */
const cesqlOver = (name: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.letrec<{ expr: string }>((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.tuple(name, value).map(([n, v]) => `${n} = '${v}'`),
      fc.tuple(name, value).map(([n, v]) => `'${v}' = ${n}`),
      fc.tuple(name, likePattern).map(([n, p]) => `${n} LIKE '${p}'`),
      fc.tuple(name, value, value).map(([n, v, w]) => `${n} IN ('${v}', '${w}')`),
      fc.tuple(name, value).map(([n, v]) => `${n} <> '${v}'`),
      fc.tuple(name, fc.constantFrom(0, 5)).map(([n, v]) => `${n} = ${v}`),
      name.map((n) => `EXISTS ${n}`),
      fc.constant('TRUE'),
      fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `(${a}) AND (${b})`),
      fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `(${a}) OR (${b})`),
      fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `(${a}) XOR (${b})`),
      tie('expr').map((a) => `NOT (${a})`),
    ),
  })).expr;
const cesqlText = cesqlOver(name);

const { filter } = fc.letrec<{ filter: SubscriptionsApiFilter }>((tie) => ({
  filter: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ exact: fc.dictionary(name, value, { minKeys: 1, maxKeys: 1 }) }),
    fc.record({ prefix: fc.dictionary(name, value, { minKeys: 1, maxKeys: 1 }) }),
    fc.record({ suffix: fc.dictionary(name, value, { minKeys: 1, maxKeys: 1 }) }),
    fc.constant({}),
    fc.record({ all: fc.array(tie('filter'), { maxLength: 3 }) }),
    fc.record({ any: fc.array(tie('filter'), { maxLength: 3 }) }),
    fc.record({ not: tie('filter') }),
    fc.record({ cesql: cesqlText }),
  ),
}));

const spec: fc.Arbitrary<TriggerFilterSpec> = fc.record(
  {
    filter: fc.record({ attributes: fc.dictionary(name, fc.constantFrom('', ...VALUES), { maxKeys: 2 }) }),
    filters: fc.array(filter, { maxLength: 3 }),
  },
  { requiredKeys: [] },
);

const attributeValue = fc.oneof(
  fc.constantFrom('', ...VALUES),
  fc.tuple(value, value).map(([a, b]) => a + b),
  fc.constantFrom(5, 0, true, false),
);
const event: fc.Arbitrary<MeshEvent> = fc
  .dictionary(name, attributeValue, { maxKeys: 4 })
  .map((attributes) => makeEvent({ specversion: '1.0', id: '1', ...attributes }));

type Op = { add: string; spec: TriggerFilterSpec } | { remove: string };
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ add: fc.constantFrom('t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7'), spec }),
  },
  { weight: 1, arbitrary: fc.record({ remove: fc.constantFrom('t0', 't1', 't2', 't3') }) },
);

describe('TriggerIndex', () => {
  it('matches exactly what evaluating every filter matches (property)', () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 25 }),
        fc.array(event, { minLength: 1, maxLength: 8 }),
        (ops, events) => {
          const index = new TriggerIndex<string>();
          // The model: insertion-ordered, a re-added id moves to the end.
          const model = new Map<string, CompiledFilter>();
          for (const o of ops) {
            if ('remove' in o) {
              expect(index.remove(o.remove)).toBe(model.delete(o.remove));
            } else {
              const compiled = compileFilter(o.spec);
              index.add(o.add, compiled, o.add);
              model.delete(o.add);
              model.set(o.add, compiled);
            }
          }
          expect(index.size).toBe(model.size);
          for (const e of events) {
            const expected = [...model].filter(([, f]) => f.matches(e)).map(([id]) => id);
            expect(index.match(e)).toEqual(expected);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('indexes exact, prefix and suffix filters and keeps the rest residual', () => {
    const index = new TriggerIndex<string>();
    index.add('exact', compileFilter({ filters: [{ exact: { type: 'order.created' } }] }), 'exact');
    index.add('prefix', compileFilter({ filters: [{ prefix: { source: '/shop/' } }] }), 'prefix');
    index.add('suffix', compileFilter({ filters: [{ suffix: { type: '.created' } }] }), 'suffix');
    index.add(
      'attrs',
      compileFilter({ filter: { attributes: { subject: '', type: 'order.paid' } } }),
      'attrs',
    );
    index.add(
      'any',
      compileFilter({ filters: [{ any: [{ exact: { type: 'a' } }, { prefix: { type: 'b' } }] }] }),
      'any',
    );
    index.add('not', compileFilter({ filters: [{ not: { exact: { type: 'order.created' } } }] }), 'not');
    index.add('none', compileFilter({}), 'none');
    expect(index.size).toBe(7);
    expect(index.residualCount).toBe(2);

    expect(index.match(makeEvent({ type: 'order.created', source: '/shop/1' }))).toEqual([
      'exact',
      'prefix',
      'suffix',
      'none',
    ]);
    expect(index.match(makeEvent({ type: 'order.paid', subject: 'x' }))).toEqual(['attrs', 'not', 'none']);
    expect(index.match(makeEvent({ type: 'bee' }))).toEqual(['any', 'not', 'none']);
  });

  it('evaluates a Trigger filed under several atoms once per event', () => {
    let calls = 0;
    const compiled = compileFilter({
      filters: [{ any: [{ exact: { type: 'a' } }, { exact: { source: 's' } }, { prefix: { type: 'a' } }] }],
    });
    const root = (compiled as TriggerFilter).root;
    const counting = new TriggerFilter(compiled.spec, {
      requirement: root.requirement,
      evaluate: (e: MeshEvent) => {
        calls++;
        return root.evaluate(e);
      },
    });
    const index = new TriggerIndex<number>();
    index.add('t', counting, 1);
    expect(index.residualCount).toBe(0);
    expect(index.match(makeEvent({ type: 'a', source: 's' }))).toEqual([1]);
    expect(calls).toBe(1);
    expect(index.evaluations).toBe(1);
    expect(index.match(makeEvent({ type: 'b', source: 'x' }))).toEqual([]);
    expect(index.evaluations).toBe(1);
  });

  it('stays exact when two prefixes or suffixes hash alike', () => {
    // 'gwzx' and '16cd' collide in the index's 30-bit affix hash.
    const index = new TriggerIndex<string>();
    index.add('p1', compileFilter({ filters: [{ prefix: { type: 'gwzx' } }] }), 'p1');
    index.add('p2', compileFilter({ filters: [{ prefix: { type: '16cd' } }] }), 'p2');
    index.add('s1', compileFilter({ filters: [{ suffix: { type: 'xzwg' } }] }), 's1');
    index.add('s2', compileFilter({ filters: [{ suffix: { type: 'dc61' } }] }), 's2');
    expect(index.match(makeEvent({ type: 'gwzx.xzwg' }))).toEqual(['p1', 's1']);
    expect(index.match(makeEvent({ type: '16cd.dc61' }))).toEqual(['p2', 's2']);
    expect(index.remove('p1')).toBe(true);
    expect(index.match(makeEvent({ type: '16cd' }))).toEqual(['p2']);
    expect(index.match(makeEvent({ type: 'gwzx' }))).toEqual([]);
  });

  it('evaluates only the candidates among 10,000 Triggers, not all of them', () => {
    const index = new TriggerIndex<number>();
    for (let i = 0; i < 10_000; i++) {
      const spec: TriggerFilterSpec =
        i % 10 === 9
          ? { filters: [{ cesql: `source LIKE '/s/${i}/%' AND subject <> 'x'` }] }
          : i % 2 === 0
            ? { filters: [{ exact: { type: `t${i}` } }] }
            : { filter: { attributes: { source: `/s/${i}` } } };
      index.add(`t${i}`, compileFilter(spec), i);
    }
    expect(index.residualCount).toBe(0);
    expect(index.match(makeEvent({ type: 't42', source: '/s/7' }))).toEqual([7, 42]);
    expect(index.evaluations).toBe(2);
    expect(index.match(makeEvent({ type: 't43', source: '/s/19/a', subject: 'y' }))).toEqual([19]);
    expect(index.evaluations).toBe(3);
  });

  it('stays exact with its fingerprint filters on, as Triggers come and go across the threshold', () => {
    // Values of one family: shared beginnings, endings and lengths, so fingerprints collide often.
    const typeOf = (i: number) => `com.example.${i % 7}.order.${i}.created`;
    const sourceOf = (i: number) => `/tenants/t${i % 5}/apps/${i}`;
    const spec = (i: number): TriggerFilterSpec =>
      i % 4 === 0
        ? { filters: [{ exact: { type: typeOf(i) } }] }
        : i % 4 === 1
          ? { filter: { attributes: { source: sourceOf(i) } } }
          : i % 4 === 2
            ? { filters: [{ prefix: { source: `${sourceOf(i)}/` } }] }
            : { filters: [{ suffix: { type: `.${i}.created` } }] };
    const index = new TriggerIndex<number>();
    const filters = new Map<number, CompiledFilter>();
    const events = Array.from({ length: 400 }, (_, k) => {
      const i = (k * 7919) % (4 * EXACT_GUARD_MIN);
      return makeEvent({
        type: k % 3 === 0 ? typeOf(i) : `${typeOf(i)}x`,
        source: k % 2 === 0 ? sourceOf(i) : `${sourceOf(i)}/${k}`,
      });
    });
    const check = () => {
      for (const event of events) {
        const expected = [...filters].filter(([, f]) => f.matches(event)).map(([i]) => i);
        expect(index.match(event)).toEqual(expected);
      }
    };
    for (let i = 0; i < 4 * EXACT_GUARD_MIN; i++) {
      const f = compileFilter(spec(i));
      filters.set(i, f);
      index.add(`t${i}`, f, i);
    }
    check();
    // Below the threshold the exact maps run unguarded; then above it again.
    for (let i = 0; i < 4 * EXACT_GUARD_MIN; i += 2) {
      index.remove(`t${i}`);
      filters.delete(i);
    }
    check();
    for (let i = 0; i < 4 * EXACT_GUARD_MIN; i += 4) {
      const f = compileFilter(spec(i));
      filters.set(i, f);
      index.add(`t${i}`, f, i);
    }
    check();
  });

  it('keeps a filter it did not compile in the residual list', () => {
    const index = new TriggerIndex<string>();
    index.add('custom', { evaluate: () => 'pass', matches: () => true, spec: {} }, 'custom');
    expect(index.residualCount).toBe(1);
    expect(index.match(makeEvent({ type: 'x' }))).toEqual(['custom']);
  });

  it('replaces a Trigger added again under the same id, and forgets removed ones', () => {
    const index = new TriggerIndex<string>();
    index.add('t', compileFilter({ filters: [{ exact: { type: 'a' } }] }), 'first');
    index.add('t', compileFilter({ filters: [{ prefix: { type: 'b' } }] }), 'second');
    expect(index.size).toBe(1);
    expect(index.match(makeEvent({ type: 'a' }))).toEqual([]);
    expect(index.match(makeEvent({ type: 'bb' }))).toEqual(['second']);
    expect(index.remove('t')).toBe(true);
    expect(index.remove('t')).toBe(false);
    expect(index.size).toBe(0);
    expect(index.match(makeEvent({ type: 'bb' }))).toEqual([]);
  });
});

describe('filter requirements (property)', () => {
  it('hold for every event a CESQL filter on one attribute matches', () => {
    const oneAttributeEvent = fc
      .option(attributeValue, { freq: 8 })
      .map((type) => makeEvent(type === null ? { id: '1' } : { id: '1', type }));
    fc.assert(
      fc.property(
        cesqlOver(fc.constant('type')),
        fc.array(oneAttributeEvent, { minLength: 1, maxLength: 8 }),
        (text, events) => {
          const compiled = compileFilter({ filters: [{ cesql: text }] }) as TriggerFilter;
          for (const e of events) {
            if (!compiled.matches(e)) continue;
            for (const clause of compiled.requirement)
              expect(clause.some((atom) => atomHolds(atom, e))).toBe(true);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('hold for every event a filter matches', () => {
    fc.assert(
      fc.property(spec, fc.array(event, { minLength: 1, maxLength: 8 }), (s, events) => {
        const compiled = compileFilter(s) as TriggerFilter;
        for (const e of events) {
          if (!compiled.matches(e)) continue;
          for (const clause of compiled.requirement)
            expect(clause.some((atom) => atomHolds(atom, e))).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('filterToJSON round trip (property)', () => {
  it('compiles a spec sent as JSON text to a filter that answers the same', () => {
    fc.assert(
      fc.property(spec, fc.array(event, { minLength: 1, maxLength: 5 }), (s, events) => {
        const original = compileFilter(s);
        const copy = compileFilter(JSON.parse(JSON.stringify(original.spec)) as TriggerFilterSpec);
        expect(copy.spec).toEqual(original.spec);
        for (const e of events) expect(copy.evaluate(e)).toBe(original.evaluate(e));
      }),
      { numRuns: 200 },
    );
  });
});
