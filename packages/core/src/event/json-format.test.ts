import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '../errors.js';
import {
  decodeBatch,
  decodeStructured,
  encodeBatch,
  encodeStructured,
  isJsonContentType,
} from './json-format.js';
import { type AttributeValue, makeEvent } from './mesh-event.js';

/** True when the String type allows every character (no control characters or noncharacters). */
function allowedString(s: string): boolean {
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (
      c < 0x20 ||
      (c >= 0x7f && c <= 0x9f) ||
      (c >= 0xfdd0 && c <= 0xfdef) ||
      c === 0xfffe ||
      c === 0xffff
    ) {
      return false;
    }
  }
  return true;
}

const base = { specversion: '1.0', id: 'e-1', source: '/orders', type: 'order.created' };
const text = (b: Uint8Array | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');

describe('JSON event format', () => {
  it('puts JSON data in `data` verbatim and decodes it back', () => {
    const event = makeEvent({ ...base, datacontenttype: 'application/json' }, '{"a":[1,2]}');
    const wire = JSON.parse(encodeStructured(event).toString('utf8'));
    expect(wire).toEqual({ ...base, datacontenttype: 'application/json', data: { a: [1, 2] } });
    expect(text(decodeStructured(encodeStructured(event)).data)).toBe('{"a":[1,2]}');
  });

  it('keeps structured JSON data as the exact text sent (large integers intact)', () => {
    const body = `{"specversion":"1.0","id":"1","source":"/s","type":"t","data": {"n": 12345678901234567890,  "s":"\\u00e9"}}`;
    expect(text(decodeStructured(body).data)).toBe('{"n": 12345678901234567890,  "s":"\\u00e9"}');
    const batch = decodeBatch(
      `[ ${body} , {"specversion":"1.0","id":"2","source":"/s","type":"t","data":[1, 2]} ]`,
    );
    expect(batch.map((e) => text(e.data))).toEqual(['{"n": 12345678901234567890,  "s":"\\u00e9"}', '[1, 2]']);
  });

  it('treats absent datacontenttype as JSON, and falls back to data_base64 when bytes are not JSON', () => {
    expect(JSON.parse(encodeStructured(makeEvent(base, '42')).toString()).data).toBe(42);
    const notJson = makeEvent({ ...base, datacontenttype: 'application/json' }, 'not json');
    const wire = JSON.parse(encodeStructured(notJson).toString());
    expect(wire.data_base64).toBe(Buffer.from('not json').toString('base64'));
    expect(text(decodeStructured(encodeStructured(notJson)).data)).toBe('not json');
  });

  it('carries text as a string and binary as data_base64', () => {
    const t = makeEvent({ ...base, datacontenttype: 'text/plain' }, 'héllo\n');
    expect(JSON.parse(encodeStructured(t).toString()).data).toBe('héllo\n');
    expect(text(decodeStructured(encodeStructured(t)).data)).toBe('héllo\n');
    const bin = makeEvent(
      { ...base, datacontenttype: 'application/octet-stream' },
      new Uint8Array([0, 255, 10]),
    );
    expect(JSON.parse(encodeStructured(bin).toString()).data_base64).toBe('AP8K');
    expect([...(decodeStructured(encodeStructured(bin)).data ?? [])]).toEqual([0, 255, 10]);
  });

  it('encodes binary and typed attributes and decodes an event without data', () => {
    const e = makeEvent({ ...base, n: 7, b: true, bin: new Uint8Array([1]) });
    const decoded = decodeStructured(encodeStructured(e));
    expect(decoded.attributes).toEqual({ ...base, n: 7, b: true, bin: 'AQ==' });
    expect(decoded.data).toBeUndefined();
  });

  it('treats null members as absent', () => {
    const e = decodeStructured(JSON.stringify({ ...base, subject: null, data: null }));
    expect(e.attributes).toEqual(base);
    expect(e.data).toBeUndefined();
  });

  it.each([
    ['{', 'malformed JSON'],
    ['[1]', 'expected a JSON object, got an array'],
    ['"x"', 'expected a JSON object, got a string'],
    [JSON.stringify({ ...base, data: 1, data_base64: 'AA==' }), "'data' and 'data_base64' are both present"],
    [JSON.stringify({ ...base, data_base64: 'not base64!' }), "'data_base64' is not a base64 string"],
    [
      JSON.stringify({ ...base, ext: { a: 1 } }),
      "attribute 'ext' must be a string, number or boolean, got an object",
    ],
    [JSON.stringify({ id: 'x' }), "'source' is missing"],
    ['{"__proto__":"x","specversion":"1.0","id":"1","source":"/s","type":"t"}', "'__proto__' is invalid"],
  ])('rejects %s', (body, message) => {
    expect(() => decodeStructured(body)).toThrow(InvalidEventError);
    expect(() => decodeStructured(body)).toThrow(message);
  });

  it('rejects a body that is not UTF-8', () => {
    expect(() => decodeStructured(new Uint8Array([0x7b, 0xff]))).toThrow('not valid UTF-8');
  });

  it('encodes and decodes batches, naming the bad element', () => {
    const events = [makeEvent(base, '1'), makeEvent({ ...base, id: 'e-2' })];
    const decoded = decodeBatch(encodeBatch(events));
    expect(decoded.map((e) => e.attributes.id)).toEqual(['e-1', 'e-2']);
    expect(decodeBatch('[]')).toEqual([]);
    expect(() => decodeBatch('{}')).toThrow('expected a JSON array');
    expect(() => decodeBatch(`[${JSON.stringify(base)},{"id":"x"}]`)).toThrow(
      /^batch\[1\]: invalid CloudEvent/,
    );
  });

  it('recognises JSON content types', () => {
    expect(isJsonContentType('application/json')).toBe(true);
    expect(isJsonContentType('Application/JSON; charset=utf-8')).toBe(true);
    expect(isJsonContentType('application/vnd.foo+json')).toBe(true);
    expect(isJsonContentType('text/json')).toBe(true);
    expect(isJsonContentType('text/plain')).toBe(false);
    expect(isJsonContentType(undefined)).toBe(false);
  });
});

const attrName = fc.stringMatching(/^[a-z0-9]{1,12}$/).filter((n) => !(n in base) && n !== 'data');
const extValue: fc.Arbitrary<AttributeValue> = fc.oneof(
  fc.string({ minLength: 0, maxLength: 20 }).filter(allowedString),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  fc.boolean(),
);
const contentType = fc.constantFrom(
  undefined,
  'application/json',
  'text/plain',
  'application/octet-stream',
  'application/xml',
  'image/png',
);

describe('JSON event format properties', () => {
  it('decodeStructured of any input returns an event or throws InvalidEventError', () => {
    const anyJson = fc.oneof(
      fc.json(),
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify({ ...base, v })),
    );
    fc.assert(
      fc.property(anyJson, (body) => {
        try {
          decodeStructured(body);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidEventError);
        }
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeBatch(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidEventError);
        }
      }),
    );
  });

  it('round trips attributes, and non-JSON data byte for byte', () => {
    fc.assert(
      fc.property(
        fc.dictionary(attrName, extValue, { maxKeys: 5 }),
        contentType,
        fc.uint8Array({ maxLength: 64 }),
        (exts, ct, bytes) => {
          const attrs: Record<string, AttributeValue> = { ...base, ...exts };
          if (ct !== undefined) attrs.datacontenttype = ct;
          const event = makeEvent(attrs, bytes);
          const decoded = decodeStructured(encodeStructured(event));
          expect(decoded.attributes).toEqual(attrs);
          const isJsonBytes = (() => {
            try {
              JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
              return true;
            } catch {
              return false;
            }
          })();
          if (ct === undefined || ct === 'application/json') {
            if (isJsonBytes) {
              expect(JSON.parse(text(decoded.data))).toEqual(JSON.parse(text(bytes)));
            } else {
              expect(Buffer.from(decoded.data ?? []).equals(Buffer.from(bytes))).toBe(true);
            }
          } else {
            expect(Buffer.from(decoded.data ?? []).equals(Buffer.from(bytes))).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
