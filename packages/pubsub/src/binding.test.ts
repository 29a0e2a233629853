import { MeshgateError, NotCloudEventError, makeEvent } from '@meshgate/core';
import { describe, expect, it } from 'vitest';
import { contentModeOf, decodePubSubMessage, encodePubSubMessage } from './binding.js';

const event = makeEvent(
  {
    specversion: '1.0',
    id: 'a-1',
    source: '/orders',
    type: 'order.created',
    datacontenttype: 'application/json',
    count: 3,
    flag: true,
    partitionkey: 'customer-7',
  },
  '{"total": 1.50}',
);

function incoming(message: { data: Buffer; attributes: Record<string, string> }) {
  return { id: 'm-1', data: message.data, attributes: message.attributes };
}

describe('Pub/Sub binding, binary mode', () => {
  it('maps attributes to ce- attributes in canonical string form and datacontenttype to content-type', () => {
    const message = encodePubSubMessage(event);
    expect(message.attributes).toEqual({
      'ce-specversion': '1.0',
      'ce-id': 'a-1',
      'ce-source': '/orders',
      'ce-type': 'order.created',
      'ce-count': '3',
      'ce-flag': 'true',
      'ce-partitionkey': 'customer-7',
      'content-type': 'application/json',
    });
    expect(message.data.toString('utf8')).toBe('{"total": 1.50}');
    expect(message.orderingKey).toBeUndefined();
  });

  it('uses partitionkey as the ordering key only when asked', () => {
    expect(encodePubSubMessage(event, { orderingKeyAttribute: 'partitionkey' }).orderingKey).toBe(
      'customer-7',
    );
  });

  it('decodes back with string attributes and the data untouched', () => {
    const decoded = decodePubSubMessage(incoming(encodePubSubMessage(event)));
    expect(decoded.attributes).toEqual({ ...event.attributes, count: '3', flag: 'true' });
    expect(Buffer.from(decoded.data!).toString('utf8')).toBe('{"total": 1.50}');
  });

  it('accepts ce-datacontenttype when there is no content-type attribute', () => {
    const decoded = decodePubSubMessage({
      id: 'm',
      data: Buffer.from('x'),
      attributes: {
        'ce-specversion': '1.0',
        'ce-id': '1',
        'ce-source': '/s',
        'ce-type': 't',
        'ce-datacontenttype': 'text/plain',
      },
    });
    expect(decoded.attributes.datacontenttype).toBe('text/plain');
  });

  it('reads an empty payload as an event without data', () => {
    const noData = makeEvent({ specversion: '1.0', id: '1', source: '/s', type: 't' });
    const message = encodePubSubMessage(noData);
    expect(message.data.length).toBe(0);
    expect(decodePubSubMessage(incoming(message)).data).toBeUndefined();
  });

  it('falls back to structured mode when an attribute value is over 1024 bytes', () => {
    const big = makeEvent(
      { specversion: '1.0', id: '1', source: '/s', type: 't', note: 'x'.repeat(2000) },
      'd',
    );
    const message = encodePubSubMessage(big);
    expect(message.attributes['content-type']).toMatch(/^application\/cloudevents\+json/);
    expect(decodePubSubMessage(incoming(message)).attributes.note).toBe('x'.repeat(2000));
  });

  it('refuses a binary message with invalid attributes', () => {
    const bad = { id: 'm', data: Buffer.alloc(0), attributes: { 'ce-specversion': '1.0', 'ce-id': '1' } };
    expect(() => decodePubSubMessage(bad)).toThrow(/source/);
  });
});

describe('Pub/Sub binding, structured mode', () => {
  it('puts the JSON event format in the data with the cloudevents content-type', () => {
    const message = encodePubSubMessage(event, { mode: 'structured' });
    expect(message.attributes).toEqual({ 'content-type': 'application/cloudevents+json; charset=UTF-8' });
    const json = JSON.parse(message.data.toString('utf8'));
    expect(json).toMatchObject({ id: 'a-1', count: 3, flag: true, data: { total: 1.5 } });
    const decoded = decodePubSubMessage(incoming(message));
    expect(decoded.attributes).toEqual(event.attributes);
  });

  it('tells the content mode from the content-type attribute (section 3)', () => {
    expect(contentModeOf({ 'content-type': 'application/cloudevents+json' })).toBe('structured');
    expect(contentModeOf({ 'ce-specversion': '1.0' })).toBe('binary');
    expect(contentModeOf({ 'content-type': 'application/json' })).toBe('foreign');
  });

  it('refuses an event format other than JSON with BINDING_UNSUPPORTED', () => {
    const avro = {
      id: 'm',
      data: Buffer.from([1, 2]),
      attributes: { 'content-type': 'application/cloudevents+avro' },
    };
    const err = (() => {
      try {
        decodePubSubMessage(avro);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(MeshgateError);
    expect((err as MeshgateError).code).toBe('BINDING_UNSUPPORTED');
  });

  it('says NotCloudEventError for a plain message', () => {
    expect(() => decodePubSubMessage({ id: 'm', data: Buffer.from('hi'), attributes: {} })).toThrow(
      NotCloudEventError,
    );
  });

  it('says InvalidEventError for broken JSON in a structured message', () => {
    const broken = {
      id: 'm',
      data: Buffer.from('{"id":'),
      attributes: { 'content-type': 'application/cloudevents+json' },
    };
    expect(() => decodePubSubMessage(broken)).toThrow(/malformed JSON/);
  });
});
