import { describe, expect, it } from 'vitest';
import { makeEvent, withAttributes } from './mesh-event.js';

describe('withAttributes', () => {
  const event = makeEvent({ specversion: '1.0', id: '1', source: '/s', type: 't', knativebrokerttl: 3 }, 'x');

  it('sets, replaces and removes attributes in a copy, keeping the order of the rest', () => {
    const next = withAttributes(event, { type: 'u', knativebrokerttl: undefined, extra: 'e' });
    expect(Object.keys(next.attributes)).toEqual(['specversion', 'id', 'source', 'type', 'extra']);
    expect(next.attributes.type).toBe('u');
    expect(next.data).toBe(event.data);
    expect(event.attributes.type).toBe('t'); // the original is untouched
    expect(event.attributes.knativebrokerttl).toBe(3);
  });

  it('treats attribute names that Object.prototype also has as plain names', () => {
    const odd = makeEvent({ specversion: '1.0', id: '1', source: '/s', type: 't', constructor: 'c' });
    const next = withAttributes(odd, { valueof: 'v' });
    expect(next.attributes.constructor).toBe('c');
    expect(next.attributes.valueof).toBe('v');
    expect(Object.keys(next.attributes)).toEqual([
      'specversion',
      'id',
      'source',
      'type',
      'constructor',
      'valueof',
    ]);
  });
});
