import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '../errors.js';
import {
  eventFromHeaders,
  eventToHeaders,
  NotCloudEventError,
  percentDecode,
  percentEncode,
} from './headers.js';
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

describe('eventToHeaders', () => {
  it('maps attributes to prefixed headers in canonical string form, without datacontenttype', () => {
    const e = makeEvent({
      ...base,
      datacontenttype: 'text/plain',
      n: 3,
      b: true,
      bin: new Uint8Array([255]),
    });
    expect(eventToHeaders(e, { prefix: 'ce_' })).toEqual({
      ce_specversion: '1.0',
      ce_id: 'e-1',
      ce_source: '/orders',
      ce_type: 'order.created',
      ce_n: '3',
      ce_b: 'true',
      ce_bin: '/w==',
    });
  });

  it('percent-encodes space, quote, percent and non-printable-ASCII as UTF-8 (HTTP 3.1.3.2)', () => {
    const e = makeEvent({ ...base, subject: 'a "b" 100% €' });
    expect(eventToHeaders(e, { prefix: 'ce-', percentEncode: true })['ce-subject']).toBe(
      'a%20%22b%22%20100%25%20%E2%82%AC',
    );
    expect(percentEncode('plain/path:with?chars#!')).toBe('plain/path:with?chars#!');
  });
});

describe('eventFromHeaders', () => {
  it('matches the prefix case-insensitively and takes content type as datacontenttype', () => {
    const data = Buffer.from('<x/>');
    const e = eventFromHeaders(
      { 'CE-SpecVersion': '1.0', 'Ce-Id': 'e-1', 'ce-source': '/orders', 'ce-type': 't', host: 'h' },
      { prefix: 'ce-' },
      data,
      'application/xml',
    );
    expect(e.attributes).toEqual({
      specversion: '1.0',
      id: 'e-1',
      source: '/orders',
      type: 't',
      datacontenttype: 'application/xml',
    });
    expect(e.data).toBe(data);
  });

  it('keeps number and boolean header values (AMQP tables) typed', () => {
    const e = eventFromHeaders(
      { 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '/s', 'ce-type': 't', 'ce-n': 5, 'ce-b': true },
      { prefix: 'ce-' },
      undefined,
      undefined,
    );
    expect(e.attributes).toMatchObject({ n: 5, b: true });
    expect(() =>
      eventFromHeaders(
        { 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '/s', 'ce-type': 't', 'ce-f': 1.5 },
        { prefix: 'ce-' },
        undefined,
        undefined,
      ),
    ).toThrow('not a 32-bit signed integer');
  });

  it('decodes Buffer header values (Kafka) and percent-encoded values (HTTP)', () => {
    const e = eventFromHeaders(
      {
        ce_specversion: Buffer.from('1.0'),
        ce_id: Buffer.from('1'),
        ce_source: Buffer.from('/s'),
        ce_type: Buffer.from('t'),
      },
      { prefix: 'ce_' },
      undefined,
      undefined,
    );
    expect(e.attributes.id).toBe('1');
    const h = eventFromHeaders(
      {
        'ce-specversion': '1.0',
        'ce-id': '1',
        'ce-source': '/s',
        'ce-type': 't',
        'ce-subject': 'a%20%E2%82%AC',
      },
      { prefix: 'ce-', percentDecode: true },
      undefined,
      undefined,
    );
    expect(h.attributes.subject).toBe('a €');
  });

  it('throws NotCloudEventError without specversion and InvalidEventError for bad attributes', () => {
    expect(() =>
      eventFromHeaders({ 'content-type': 'x/y' }, { prefix: 'ce-' }, undefined, undefined),
    ).toThrow(NotCloudEventError);
    const bad = () =>
      eventFromHeaders(
        { 'ce-specversion': '1.0', 'ce-id': '', 'ce-bad_name': 'x', 'ce-x': ['a', 'b'] },
        { prefix: 'ce-' },
        undefined,
        undefined,
      );
    expect(bad).toThrow(InvalidEventError);
    expect(bad).toThrow(/'ce-x' is given more than once.*'id' is empty.*'source' is missing.*'bad_name'/);
    expect(() =>
      eventFromHeaders({ ce_specversion: new Uint8Array([0xff]) }, { prefix: 'ce_' }, undefined, undefined),
    ).toThrow("header 'ce_specversion' is not valid UTF-8");
    expect(() =>
      eventFromHeaders(
        { ce_specversion: '1.0', ce_obj: {} as unknown as string },
        { prefix: 'ce_' },
        undefined,
        undefined,
      ),
    ).toThrow("header 'ce_obj' has an unsupported value type object");
  });
});

describe('percentDecode', () => {
  it('is lenient with senders that did not encode', () => {
    expect(percentDecode('100%')).toBe('100%');
    expect(percentDecode('50%off')).toBe('50%off');
    expect(percentDecode('%FF')).toBe('%FF');
    // "é" sent raw as UTF-8 and read by Node as latin1.
    expect(percentDecode(Buffer.from('é', 'utf8').toString('latin1'))).toBe('é');
  });
});

const attrName = fc
  .stringMatching(/^[a-z0-9]{1,12}$/)
  .filter((n) => !(n in base) && n !== 'data' && n !== 'datacontenttype');
const safeString = fc.string({ maxLength: 30, unit: 'grapheme' }).filter(allowedString);

describe('header mapping properties', () => {
  it('eventFromHeaders of any headers returns an event or throws InvalidEventError', () => {
    const headerName = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.string({ maxLength: 12 }).map((s) => `ce-${s}`),
    );
    const headerValue = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)),
    );
    fc.assert(
      fc.property(fc.dictionary(headerName, headerValue), fc.boolean(), (headers, decode) => {
        try {
          eventFromHeaders(
            { 'ce-specversion': '1.0', ...headers },
            { prefix: 'ce-', percentDecode: decode },
            undefined,
            undefined,
          );
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidEventError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('round trips string attributes through percent-encoded headers, data untouched', () => {
    fc.assert(
      fc.property(
        fc.dictionary(attrName, safeString, { maxKeys: 5 }),
        safeString,
        fc.uint8Array({ maxLength: 32 }),
        (exts, subject, data) => {
          const attrs: Record<string, AttributeValue> = { ...base, ...exts };
          if (subject !== '') attrs.subject = subject;
          const event = makeEvent(attrs, data);
          const headers = eventToHeaders(event, { prefix: 'ce-', percentEncode: true });
          for (const v of Object.values(headers)) expect(v).toMatch(/^[\x21\x23-\x7e]*$/);
          const back = eventFromHeaders(
            headers,
            { prefix: 'ce-', percentDecode: true },
            event.data,
            undefined,
          );
          expect(back.attributes).toEqual(attrs);
          expect(back.data).toBe(event.data);
        },
      ),
      { numRuns: 300 },
    );
  });
});
