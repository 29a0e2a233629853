import { InvalidEventError, makeEvent } from '@meshgate/core';
import { describe, expect, it } from 'vitest';
import { fromNatsMessage, toNatsMessage, WRAPPED_EVENT_TYPE } from './binding.js';
import { natsMsgId } from './sink.js';

const ctx = { sourceName: 'orders', namespace: 'shop' };
const event = makeEvent(
  {
    specversion: '1.0',
    id: 'e-1',
    source: '/shop',
    type: 'order.created',
    datacontenttype: 'text/plain',
    n: 3,
  },
  'hello',
);

describe('nats binding', () => {
  it('binary mode: ce- headers, content-type header, payload untouched', () => {
    const msg = toNatsMessage(event, 'binary');
    expect(msg.headers).toEqual({
      'ce-specversion': '1.0',
      'ce-id': 'e-1',
      'ce-source': '/shop',
      'ce-type': 'order.created',
      'ce-n': '3',
      'content-type': 'text/plain',
    });
    expect(Buffer.from(msg.data).toString()).toBe('hello');
    const back = fromNatsMessage({ subject: 'a.b', data: msg.data, headers: msg.headers }, ctx);
    expect(back.kind).toBe('binary');
    expect(back.event.attributes).toEqual({ ...event.attributes, n: '3' });
  });

  it('header names match case-insensitively (some clients canonicalise them)', () => {
    const back = fromNatsMessage(
      {
        subject: 's',
        data: new Uint8Array(),
        headers: { 'Ce-Specversion': '1.0', 'Ce-Id': '1', 'Ce-Source': '/s', 'Ce-Type': 't' },
      },
      ctx,
    );
    expect(back.event.attributes).toEqual({ specversion: '1.0', id: '1', source: '/s', type: 't' });
    expect(back.event.data).toBeUndefined();
  });

  it('structured mode with and without headers (servers before 2.2)', () => {
    for (const withHeaders of [true, false]) {
      const msg = toNatsMessage(event, 'structured', withHeaders);
      expect(msg.headers).toEqual(
        withHeaders ? { 'content-type': 'application/cloudevents+json' } : undefined,
      );
      const back = fromNatsMessage({ subject: 's', data: msg.data, headers: msg.headers }, ctx);
      expect(back.kind).toBe('structured');
      expect(back.event.attributes).toEqual(event.attributes);
      expect(Buffer.from(back.event.data!).toString()).toBe('hello');
    }
  });

  it('wraps a foreign payload, also a JSON object that is not a CloudEvent', () => {
    for (const payload of ['plain', '{"specversion": 2, "x": 1}', '{"a": 1}']) {
      const back = fromNatsMessage(
        {
          subject: 'legacy.orders',
          data: Buffer.from(payload),
          headers: { 'content-type': 'application/json' },
        },
        { ...ctx, messageId: 'S:7', time: '2026-01-01T00:00:00.000Z' },
      );
      expect(back.kind).toBe('wrapped');
      expect(back.event.attributes).toEqual({
        specversion: '1.0',
        id: 'S:7',
        type: WRAPPED_EVENT_TYPE,
        source: '/apis/v1/namespaces/shop/natssources/orders#legacy.orders',
        subject: 'legacy.orders',
        datacontenttype: 'application/json',
        time: '2026-01-01T00:00:00.000Z',
      });
      expect(Buffer.from(back.event.data!).toString()).toBe(payload);
    }
  });

  it('refuses what claims to be a CloudEvent and is not a valid one', () => {
    expect(() =>
      fromNatsMessage(
        { subject: 's', data: Buffer.from('{'), headers: { 'content-type': 'application/cloudevents+json' } },
        ctx,
      ),
    ).toThrow(InvalidEventError);
    expect(() =>
      fromNatsMessage({ subject: 's', data: Buffer.from('x'), headers: { 'ce-specversion': '1.0' } }, ctx),
    ).toThrow(/required attribute 'id' is missing/);
  });

  it('derives Nats-Msg-Id from source and id', () => {
    expect(natsMsgId(event)).toBe('/shop e-1');
  });
});
