import { InvalidEventError, makeEvent } from '@meshgate/core';
import { describe, expect, it } from 'vitest';
import { fromAmqpMessage, toAmqpMessage, WRAPPED_EVENT_TYPE, wrappedEventSource } from './binding.js';

const ctx = { sourceName: 'orders', namespace: 'shop', queue: 'orders-q' };
const event = makeEvent(
  {
    specversion: '1.0',
    id: 'e-1',
    source: '/shop',
    type: 'order.created',
    datacontenttype: 'application/octet-stream',
    traceparent: '00-abc',
  },
  Buffer.from([0, 255, 1, 254]),
);

describe('rabbitmq binding', () => {
  it('binary mode: ce- headers, content_type and message_id properties, body untouched', () => {
    const msg = toAmqpMessage(event, 'binary');
    expect(msg.properties.headers).toEqual({
      'ce-specversion': '1.0',
      'ce-id': 'e-1',
      'ce-source': '/shop',
      'ce-type': 'order.created',
      'ce-traceparent': '00-abc',
    });
    expect(msg.properties.contentType).toBe('application/octet-stream');
    expect(msg.properties.messageId).toBe('e-1');
    expect(msg.properties.persistent).toBe(true);
    expect([...msg.content]).toEqual([0, 255, 1, 254]);
    const back = fromAmqpMessage({ content: msg.content, properties: msg.properties }, ctx);
    expect(back.kind).toBe('binary');
    expect(back.event).toEqual({ attributes: event.attributes, data: msg.content });
  });

  it('structured mode round-trips through application/cloudevents+json', () => {
    const msg = toAmqpMessage(event, 'structured');
    expect(msg.properties.contentType).toBe('application/cloudevents+json');
    expect(msg.properties.headers).toEqual({});
    const back = fromAmqpMessage({ content: msg.content, properties: msg.properties }, ctx);
    expect(back.kind).toBe('structured');
    expect(back.event.attributes).toEqual(event.attributes);
    expect(Buffer.from(back.event.data!)).toEqual(Buffer.from(event.data!));
  });

  it('reads the unprefixed headers eventing-rabbitmq brokers write, ignoring x- headers', () => {
    const back = fromAmqpMessage(
      {
        content: Buffer.from('{"a":1}'),
        properties: {
          contentType: 'application/json',
          headers: { specversion: '1.0', id: '7', source: '/k', type: 't', 'x-death': 'ignored', count: 3 },
        },
      },
      ctx,
    );
    expect(back.kind).toBe('binary');
    expect(back.event.attributes).toEqual({
      specversion: '1.0',
      id: '7',
      source: '/k',
      type: 't',
      count: '3',
      datacontenttype: 'application/json',
    });
  });

  it('wraps a foreign message like eventing-rabbitmq', () => {
    const back = fromAmqpMessage(
      {
        content: Buffer.from('hello'),
        properties: { contentType: 'text/plain', messageId: 'm-9', timestamp: 1_700_000_000 },
      },
      ctx,
    );
    expect(back.kind).toBe('wrapped');
    expect(back.event.attributes).toEqual({
      specversion: '1.0',
      id: 'm-9',
      subject: 'm-9',
      type: WRAPPED_EVENT_TYPE,
      source: '/apis/v1/namespaces/shop/rabbitmqsources/orders#orders-q',
      datacontenttype: 'text/plain',
      time: '2023-11-14T22:13:20.000Z',
    });
    expect(wrappedEventSource({ sourceName: 'a b', queue: 'q#1' })).toBe(
      '/apis/v1/namespaces/default/rabbitmqsources/a%20b#q%231',
    );
  });

  it('gives a wrapped message without message_id a fresh id', () => {
    const a = fromAmqpMessage({ content: Buffer.from('x'), properties: {} }, ctx);
    const b = fromAmqpMessage({ content: Buffer.from('x'), properties: {} }, ctx);
    expect(a.event.attributes.id).not.toBe(b.event.attributes.id);
    expect(a.event.attributes.datacontenttype).toBeUndefined();
  });

  it('refuses a broken structured message or invalid binary attributes with InvalidEventError', () => {
    expect(() =>
      fromAmqpMessage(
        {
          content: Buffer.from('{"specversion":'),
          properties: { contentType: 'application/cloudevents+json' },
        },
        ctx,
      ),
    ).toThrow(InvalidEventError);
    expect(() =>
      fromAmqpMessage(
        { content: Buffer.from(''), properties: { headers: { 'ce-specversion': '1.0', 'ce-id': 'x' } } },
        ctx,
      ),
    ).toThrow(/required attribute 'source' is missing/);
  });
});
