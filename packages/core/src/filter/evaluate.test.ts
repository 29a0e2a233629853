import { describe, expect, it } from 'vitest';
import { makeEvent } from '../event/mesh-event.js';
import { compileFilter } from './compile.js';
import type { SubscriptionsApiFilter, TriggerFilterSpec } from './types.js';

const event = makeEvent({
  specversion: '1.0',
  id: '1',
  type: 'com.example.order.created',
  source: '/shop/orders',
  subject: '',
  count: 42,
  flag: true,
});

const evaluate = (spec: TriggerFilterSpec) => compileFilter(spec).evaluate(event);
const one = (filter: SubscriptionsApiFilter) => evaluate({ filters: [filter] });

describe('filter.attributes (Knative)', () => {
  it('passes when every attribute equals its value, case-sensitively', () => {
    expect(
      evaluate({ filter: { attributes: { type: 'com.example.order.created', source: '/shop/orders' } } }),
    ).toBe('pass');
    expect(evaluate({ filter: { attributes: { type: 'com.example.Order.created' } } })).toBe('fail');
    expect(evaluate({ filter: { attributes: { type: 'com.example.order.created', source: '/x' } } })).toBe(
      'fail',
    );
  });

  it('fails on a missing attribute', () => {
    expect(evaluate({ filter: { attributes: { missing: 'x' } } })).toBe('fail');
  });

  it('treats an empty value as "present and non-empty"', () => {
    expect(evaluate({ filter: { attributes: { source: '' } } })).toBe('pass');
    expect(evaluate({ filter: { attributes: { missing: '' } } })).toBe('fail');
    expect(evaluate({ filter: { attributes: { subject: '' } } })).toBe('fail');
  });

  it('sees only attributes the event has, even those named like Object.prototype members', () => {
    expect(evaluate({ filter: { attributes: { constructor: '' } } })).toBe('fail');
    expect(one({ prefix: { constructor: 'f' } })).toBe('fail');
    const own = makeEvent({ type: 't', constructor: 'c' });
    expect(compileFilter({ filter: { attributes: { constructor: 'c' } } }).evaluate(own)).toBe('pass');
  });

  it('compares non-string extensions in their canonical string form', () => {
    expect(evaluate({ filter: { attributes: { count: '42', flag: 'true' } } })).toBe('pass');
    expect(evaluate({ filter: { attributes: { count: '41' } } })).toBe('fail');
  });

  it('passes everything with an empty map, and has no opinion without any filter', () => {
    expect(evaluate({ filter: { attributes: {} } })).toBe('pass');
    expect(evaluate({ filter: {} })).toBe('pass');
    expect(evaluate({})).toBe('no-filter');
    expect(compileFilter({}).matches(event)).toBe(true);
  });
});

describe('Subscriptions API dialects', () => {
  it('exact, prefix and suffix compare one attribute case-sensitively', () => {
    expect(one({ exact: { type: 'com.example.order.created' } })).toBe('pass');
    expect(one({ exact: { type: 'com.example.order' } })).toBe('fail');
    expect(one({ prefix: { type: 'com.example.' } })).toBe('pass');
    expect(one({ prefix: { type: 'COM.example.' } })).toBe('fail');
    expect(one({ suffix: { source: '/orders' } })).toBe('pass');
    expect(one({ suffix: { source: '/Orders' } })).toBe('fail');
    expect(one({ exact: { missing: 'x' } })).toBe('fail');
    expect(one({ prefix: { missing: 'x' } })).toBe('fail');
    expect(one({ suffix: { missing: 'x' } })).toBe('fail');
    expect(one({ exact: { count: '42' } })).toBe('pass');
  });

  const pass: SubscriptionsApiFilter = { exact: { id: '1' } };
  const fail: SubscriptionsApiFilter = { exact: { id: '2' } };
  const none: SubscriptionsApiFilter = { not: {} };

  it('has no opinion for an empty filter and for not of nothing', () => {
    expect(one({})).toBe('no-filter');
    expect(one(none)).toBe('no-filter');
    expect(evaluate({ filters: [{}, {}] })).toBe('no-filter');
  });

  it('all: fail wins, then pass, else no opinion', () => {
    expect(one({ all: [pass, pass] })).toBe('pass');
    expect(one({ all: [pass, fail] })).toBe('fail');
    expect(one({ all: [none, fail] })).toBe('fail');
    expect(one({ all: [none, pass] })).toBe('pass');
    expect(one({ all: [none, none] })).toBe('no-filter');
  });

  it('any: pass wins, then fail, else no opinion', () => {
    expect(one({ any: [fail, pass] })).toBe('pass');
    expect(one({ any: [fail, fail] })).toBe('fail');
    expect(one({ any: [none, fail] })).toBe('fail');
    expect(one({ any: [none, pass] })).toBe('pass');
    expect(one({ any: [none, none] })).toBe('no-filter');
  });

  it('not swaps pass and fail', () => {
    expect(one({ not: pass })).toBe('fail');
    expect(one({ not: fail })).toBe('pass');
    expect(one({ not: { not: pass } })).toBe('pass');
  });

  it('ANDs the top-level list', () => {
    expect(evaluate({ filters: [pass, pass] })).toBe('pass');
    expect(evaluate({ filters: [pass, fail] })).toBe('fail');
    expect(evaluate({ filters: [none, pass] })).toBe('pass');
  });

  it('uses filters instead of filter when filters has entries', () => {
    expect(evaluate({ filter: { attributes: { id: '2' } }, filters: [pass] })).toBe('pass');
    expect(evaluate({ filter: { attributes: { id: '1' } }, filters: [fail] })).toBe('fail');
    expect(evaluate({ filter: { attributes: { id: '2' } }, filters: [{}] })).toBe('no-filter');
    expect(evaluate({ filter: { attributes: { id: '2' } }, filters: [] })).toBe('fail');
  });

  it('keeps giving the same answers while all and any reorder their children', () => {
    const filter = compileFilter({
      filters: [{ all: [pass, { prefix: { type: 'com.' } }, fail] }, { any: [fail, fail, pass] }],
    });
    const other = makeEvent({ id: '2', type: 'com.x', source: 's', specversion: '1.0' });
    for (let i = 0; i < 50; i++) {
      expect(filter.evaluate(event)).toBe('fail');
      expect(filter.evaluate(other)).toBe('fail');
    }
    const anyFilter = compileFilter({ filters: [{ any: [fail, { exact: { type: 'com.x' } }, pass] }] });
    for (let i = 0; i < 50; i++) {
      expect(anyFilter.evaluate(event)).toBe('pass');
      expect(anyFilter.evaluate(other)).toBe('pass');
      expect(anyFilter.evaluate(makeEvent({ id: '3', type: 't' }))).toBe('fail');
    }
  });
});
