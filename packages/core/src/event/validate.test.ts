import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '../errors.js';
import { makeEvent } from './mesh-event.js';
import { eventProblems, isRfc3339, isUriReference, validateEvent } from './validate.js';

const base = { specversion: '1.0', id: 'e-1', source: '/orders', type: 'order.created' };

describe('validateEvent', () => {
  it('accepts a minimal valid event and every attribute type', () => {
    expect(() => validateEvent(makeEvent(base))).not.toThrow();
    const full = makeEvent({
      ...base,
      time: '2024-02-29T23:59:60.123+01:00',
      dataschema: 'https://example.com/schema.json',
      subject: 'x',
      datacontenttype: 'application/json; charset=utf-8',
      count: -2147483648,
      flag: false,
      bin: new Uint8Array([1, 2]),
      averyveryverylongextensionname: 'longer than 20 is only a recommendation',
    });
    expect(eventProblems(full)).toEqual([]);
  });

  it('names every problem at once', () => {
    const bad = makeEvent({
      specversion: '0.3',
      id: '',
      source: 'not a uri',
      time: 'yesterday',
      'Bad-Name': 'x',
      ext: 1.5,
      data: 'reserved',
    });
    let err: unknown;
    try {
      validateEvent(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidEventError);
    const message = (err as Error).message;
    for (const part of [
      "'id' is empty",
      "'type' is missing",
      "specversion '0.3'",
      "source 'not a uri'",
      "time 'yesterday'",
      "attribute name 'Bad-Name'",
      "attribute 'ext' is 1.5",
      "'data' is reserved",
    ]) {
      expect(message).toContain(part);
    }
  });

  it('rejects wrong types for spec attributes and unsupported extension types', () => {
    const problems = eventProblems({
      attributes: { ...base, time: 5 as unknown as string, obj: {} as unknown as string, big: 2 ** 31 },
    });
    expect(problems).toEqual([
      "attribute 'time' must be a string, got number",
      "attribute 'obj' has unsupported type object (string, integer, boolean or binary)",
      "attribute 'big' is 2147483648, not a 32-bit signed integer",
    ]);
  });

  it('rejects control characters and unpaired surrogates in strings', () => {
    expect(eventProblems(makeEvent({ ...base, subject: 'a\u0001b' }))).toHaveLength(1);
    expect(eventProblems(makeEvent({ ...base, ext: 'a\ud800' }))).toHaveLength(1);
    expect(eventProblems(makeEvent({ ...base, ext: '\ud83d\ude00' }))).toEqual([]);
    expect(eventProblems(makeEvent({ ...base, ext: 'x\ufffe' }))).toHaveLength(1);
    expect(eventProblems(makeEvent({ ...base, ext: 'del\u007f' }))).toHaveLength(1);
    expect(eventProblems(makeEvent({ ...base, ext: '\udc00' }))).toHaveLength(1);
    expect(eventProblems(makeEvent({ ...base, ext: 'é €' }))).toEqual([]);
  });

  it('requires dataschema to be absolute and datacontenttype to be a media type', () => {
    expect(eventProblems(makeEvent({ ...base, dataschema: '/relative' }))[0]).toContain('absolute URI');
    expect(eventProblems(makeEvent({ ...base, datacontenttype: 'json' }))[0]).toContain('media type');
    expect(eventProblems(makeEvent({ ...base, subject: '' }))[0]).toContain("'subject' is empty");
  });
});

describe('isRfc3339', () => {
  it.each([
    ['2024-01-01T00:00:00Z', true],
    ['2024-01-01t00:00:00.5z', true],
    ['2024-01-01T00:00:00-07:30', true],
    ['2023-02-29T00:00:00Z', false],
    ['2024-13-01T00:00:00Z', false],
    ['2024-01-01T24:00:00Z', false],
    ['2024-01-01 00:00:00Z', false],
    ['2024-01-01T00:00:00', false],
    ['2024-01-01T00:00:00+25:00', false],
  ])('%s -> %s', (value, ok) => {
    expect(isRfc3339(value)).toBe(ok);
  });
});

describe('isUriReference', () => {
  it.each([
    ['https://example.com/a?b=c#d', true],
    ['/relative/path', true],
    ['urn:uuid:123', true],
    ['my-app', true],
    ['a%20b', true],
    ['a b', false],
    ['1bad:scheme', false],
    ['a%zz', false],
    ['ünïcode', false],
  ])('%s -> %s', (value, ok) => {
    expect(isUriReference(value)).toBe(ok);
  });
});
