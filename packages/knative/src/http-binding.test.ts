import { InvalidEventError, type MeshEvent, makeEvent, NotCloudEventError } from '@meshgate/core';
import { CloudEvent, HTTP } from 'cloudevents';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UnsupportedMediaTypeError } from './errors.js';
import {
  decodeHttpRequest,
  encodeHttpBatch,
  encodeHttpBinary,
  encodeHttpStructured,
  isHttpCloudEvent,
} from './http-binding.js';

const base = { specversion: '1.0', id: 'e-1', source: '/orders', type: 'order.created' };
const bodyBytes = (body: unknown) => (typeof body === 'string' ? Buffer.from(body) : (body as Buffer));

describe('decodeHttpRequest', () => {
  it('reads binary mode and passes the data bytes through untouched', () => {
    const body = Buffer.from('{ "not":   "re-serialised" }');
    const { mode, events } = decodeHttpRequest(
      {
        'ce-specversion': '1.0',
        'ce-id': '1',
        'ce-source': '/s',
        'ce-type': 't',
        'ce-subject': 'a%20b',
        'content-type': 'application/json',
      },
      body,
    );
    expect(mode).toBe('binary');
    expect(events[0]?.attributes).toEqual({
      specversion: '1.0',
      id: '1',
      source: '/s',
      type: 't',
      subject: 'a b',
      datacontenttype: 'application/json',
    });
    expect(events[0]?.data).toBe(body);
  });

  it('reads structured and batch mode by content type', () => {
    const s = decodeHttpRequest(
      { 'content-type': 'application/cloudevents+json; charset=UTF-8' },
      Buffer.from(JSON.stringify({ ...base, data: { x: 1 } })),
    );
    expect(s.mode).toBe('structured');
    expect(s.events[0]?.attributes).toEqual(base);
    const b = decodeHttpRequest(
      { 'Content-Type': 'application/cloudevents-batch+json' },
      encodeHttpBatch([makeEvent(base), makeEvent({ ...base, id: 'e-2' })]).body as Buffer,
    );
    expect(b.mode).toBe('batch');
    expect(b.events).toHaveLength(2);
  });

  it('answers 415-type errors for other event formats and 400-type errors for bad events', () => {
    for (const ct of ['application/cloudevents+xml', 'application/cloudevents-batch+avro']) {
      expect(() => decodeHttpRequest({ 'content-type': ct }, Buffer.from('<x/>'))).toThrow(
        UnsupportedMediaTypeError,
      );
    }
    expect(() => decodeHttpRequest({ 'content-type': 'text/plain' }, Buffer.from('hi'))).toThrow(
      NotCloudEventError,
    );
    expect(() =>
      decodeHttpRequest({ 'content-type': 'application/cloudevents+json' }, Buffer.from('{"id":')),
    ).toThrow(InvalidEventError);
    expect(() => decodeHttpRequest({ 'ce-specversion': '1.0', 'ce-id': '1' }, Buffer.alloc(0))).toThrow(
      /'source' is missing.*'type' is missing/,
    );
  });

  it('treats an empty binary-mode body as no data', () => {
    const { events } = decodeHttpRequest(encodeHttpBinary(makeEvent(base)).headers, Buffer.alloc(0));
    expect(events[0]?.data).toBeUndefined();
  });
});

describe('encodeHttpBinary / encodeHttpStructured', () => {
  it('writes percent-encoded ce- headers and datacontenttype as content-type', () => {
    const data = Buffer.from([0, 1, 255]);
    const msg = encodeHttpBinary(
      makeEvent({ ...base, subject: 'a b', datacontenttype: 'application/octet-stream' }, data),
    );
    expect(msg.headers).toEqual({
      'ce-specversion': '1.0',
      'ce-id': 'e-1',
      'ce-source': '/orders',
      'ce-type': 'order.created',
      'ce-subject': 'a%20b',
      'content-type': 'application/octet-stream',
    });
    expect(msg.body).toBe(data);
    expect(isHttpCloudEvent(msg.headers)).toBe(true);
  });

  it('round trips binary mode byte for byte', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.constantFrom('application/json', 'text/plain', 'image/png'),
        (bytes, ct) => {
          const event = makeEvent({ ...base, datacontenttype: ct }, bytes);
          const msg = encodeHttpBinary(event);
          const back = decodeHttpRequest(msg.headers, Buffer.from(msg.body ?? new Uint8Array()));
          expect(back.events[0]?.attributes).toEqual(event.attributes);
          expect(Buffer.from(back.events[0]?.data ?? new Uint8Array()).equals(Buffer.from(bytes))).toBe(true);
        },
      ),
    );
  });

  it('decodeHttpRequest of any input returns events or throws a typed error', () => {
    const header = fc.oneof(
      fc.constantFrom('content-type', 'ce-specversion', 'ce-id', 'ce-source', 'ce-type', 'ce-time'),
      fc.string({ maxLength: 10 }),
    );
    const value = fc.oneof(
      fc.constantFrom(
        '1.0',
        'application/cloudevents+json',
        'application/cloudevents-batch+json',
        'text/plain',
      ),
      fc.string({ maxLength: 20 }),
    );
    fc.assert(
      fc.property(
        fc.dictionary(header, value),
        fc.oneof(
          fc.uint8Array({ maxLength: 40 }),
          fc.json().map((s) => Buffer.from(s)),
        ),
        (headers, body) => {
          try {
            decodeHttpRequest(headers, Buffer.from(body));
          } catch (err) {
            expect(err instanceof InvalidEventError || err instanceof UnsupportedMediaTypeError).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('interoperability with the cloudevents SDK', () => {
  const sdkEvents: CloudEvent<unknown>[] = [
    new CloudEvent({ ...base, datacontenttype: 'application/json', data: { a: [1, 'x'] }, ext: 'v' }),
    new CloudEvent({ ...base, datacontenttype: 'text/plain', data: 'hello', subject: 's' }),
    new CloudEvent({ ...base, datacontenttype: 'application/octet-stream', data: Buffer.from([0, 255, 7]) }),
  ];

  it('decodes SDK binary and structured messages', () => {
    for (const ce of sdkEvents) {
      for (const msg of [HTTP.binary(ce), HTTP.structured(ce)]) {
        const headers = Object.fromEntries(Object.entries(msg.headers).map(([k, v]) => [k, String(v)]));
        const event = decodeHttpRequest(headers, bodyBytes(msg.body)).events[0] as MeshEvent;
        expect(event.attributes.id).toBe(ce.id);
        expect(event.attributes.time).toBe(ce.time);
        expect(event.attributes.datacontenttype).toBe(ce.datacontenttype);
        const data = Buffer.from(event.data ?? new Uint8Array());
        if (ce.data instanceof Uint8Array) expect([...data]).toEqual([...ce.data]);
        else if (typeof ce.data === 'string') expect(data.toString()).toBe(ce.data);
        else expect(JSON.parse(data.toString())).toEqual(ce.data);
      }
    }
  });

  it('encodes messages that the SDK decodes', () => {
    const ours = [
      makeEvent(
        { ...base, datacontenttype: 'application/json', ext: 'v', time: '2024-01-01T00:00:00Z' },
        '{"a":1}',
      ),
      makeEvent({ ...base, datacontenttype: 'text/plain' }, 'hello'),
      makeEvent({ ...base, datacontenttype: 'application/octet-stream' }, new Uint8Array([0, 255])),
    ];
    for (const event of ours) {
      const binary = encodeHttpBinary(event);
      const structured = encodeHttpStructured(event);
      for (const msg of [binary, structured]) {
        // The SDK reads a structured body only from a string (a Buffer silently becomes a new event).
        const bytes = Buffer.from(msg.body ?? new Uint8Array());
        const ce = HTTP.toEvent({
          headers: msg.headers,
          body: msg === binary ? bytes : bytes.toString('utf8'),
        }) as CloudEvent;
        expect(ce.id).toBe(event.attributes.id);
        expect(ce.type).toBe(event.attributes.type);
        expect(ce.datacontenttype).toBe(event.attributes.datacontenttype);
        if (event.attributes.ext !== undefined) expect(ce.ext).toBe('v');
      }
    }
    const batch = encodeHttpBatch(ours);
    const decoded = HTTP.toEvent({ headers: batch.headers, body: Buffer.from(batch.body ?? []).toString() });
    expect(Array.isArray(decoded) && decoded.length).toBe(3);
  });
});
