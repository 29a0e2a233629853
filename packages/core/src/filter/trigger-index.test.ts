import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeEvent } from '../event/mesh-event.js';
import type { MeshEvent } from '../event/mesh-event.js';
import { compileFilter } from './compile.js';
import { TriggerIndex } from './trigger-index.js';
import type { CompiledFilter, SubscriptionsApiFilter, TriggerFilterSpec } from './types.js';

// Few names and values that share prefixes and suffixes, so that random filters often match.
const NAMES = ['type', 'source', 'subject', 'ext'] as const;
const VALUES = ['a', 'ab', 'abc', 'b', 'ba', 'bab', 'cab'] as const;
const name = fc.constantFrom(...NAMES);
const value = fc.constantFrom(...VALUES);

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
  ),
}));

const spec: fc.Arbitrary<TriggerFilterSpec> = fc.record(
  {
    filter: fc.record({ attributes: fc.dictionary(name, fc.constantFrom('', ...VALUES), { maxKeys: 2 }) }),
    filters: fc.array(filter, { maxLength: 3 }),
  },
  { requiredKeys: [] },
);

const event: fc.Arbitrary<MeshEvent> = fc
  .dictionary(name, fc.constantFrom('', ...VALUES), { maxKeys: 4 })
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
    const counting: CompiledFilter = Object.assign(Object.create(compiled) as CompiledFilter, {
      matches: (e: MeshEvent) => {
        calls++;
        return compiled.matches(e);
      },
    });
    const index = new TriggerIndex<number>();
    index.add('t', counting, 1);
    expect(index.residualCount).toBe(0);
    expect(index.match(makeEvent({ type: 'a', source: 's' }))).toEqual([1]);
    expect(calls).toBe(1);
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
