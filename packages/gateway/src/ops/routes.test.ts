import { makeEvent } from '@meshgate/core';
import { describe, expect, it } from 'vitest';
import { parseBlock } from './admin-client.js';
import { filtersFromQuery } from './routes.js';

const ev = (type: string, subject?: string) =>
  makeEvent({ specversion: '1.0', id: '1', source: '/s', type, ...(subject && { subject }) });

describe('filtersFromQuery', () => {
  it('reads a filter spec as JSON and a CESQL expression, AND-ed', () => {
    const q = new URLSearchParams({
      filter: JSON.stringify({ filters: [{ prefix: { type: 'order.' } }] }),
      cesql: "subject = 'eu'",
    });
    const filters = filtersFromQuery(q);
    const passes = (e: ReturnType<typeof ev>) => filters.every((f) => f.matches(e));
    expect(passes(ev('order.created', 'eu'))).toBe(true);
    expect(passes(ev('order.created', 'us'))).toBe(false);
    expect(passes(ev('invoice', 'eu'))).toBe(false);
  });

  it('is empty without filters', () => {
    expect(filtersFromQuery(new URLSearchParams())).toEqual([]);
  });

  it.each([
    ['filter', '{nope', /not JSON/],
    ['filter', '[1]', /JSON object/],
    ['filter', '{"filters":[{"exact":{"a":"1","b":"2"}}]}', /invalid Trigger filter/],
    ['cesql', 'type =', /invalid Trigger filter/],
  ])('refuses %s=%s with a ConfigError', (name, value, message) => {
    expect(() => filtersFromQuery(new URLSearchParams({ [name]: value }))).toThrow(message);
  });
});

describe('parseBlock (SSE)', () => {
  it('reads event and data lines, ignores comments', () => {
    expect(parseBlock('event: cloudevent\nid: 1\ndata: {"a":1}')).toEqual({
      event: 'cloudevent',
      data: '{"a":1}',
    });
    expect(parseBlock(': keep-alive')).toBeUndefined();
    expect(parseBlock('data: a\ndata: b')).toEqual({ event: 'message', data: 'a\nb' });
  });
});
