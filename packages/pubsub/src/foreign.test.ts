import { describe, expect, it } from 'vitest';
import { MESSAGE_PUBLISHED_TYPE, RAW_MESSAGE_TYPE, extensionName, wrapForeignMessage } from './foreign.js';

const message = {
  id: '1234',
  data: Buffer.from([0xde, 0xad, 0xbe, 0xef]),
  attributes: { 'content-type': 'application/octet-stream', 'x-app': 'legacy', id: 'spoof' },
  publishTime: new Date('2026-01-02T03:04:05.678Z'),
  orderingKey: 'k1',
};
const ctx = { topic: 'projects/p/topics/t', subscription: 'projects/p/subscriptions/s' };

describe('wrapping a message that is not a CloudEvent', () => {
  it('raw style keeps the data byte for byte and attributes as extensions', () => {
    const event = wrapForeignMessage(message, ctx);
    expect(event.attributes).toEqual({
      specversion: '1.0',
      id: '1234',
      source: '//pubsub.googleapis.com/projects/p/topics/t',
      type: RAW_MESSAGE_TYPE,
      time: '2026-01-02T03:04:05.678Z',
      datacontenttype: 'application/octet-stream',
      partitionkey: 'k1',
      xapp: 'legacy',
    });
    expect(Buffer.from(event.data!)).toEqual(message.data);
  });

  it("envelope style is Eventarc's messagePublished event", () => {
    const event = wrapForeignMessage(message, { ...ctx, style: 'envelope' });
    expect(event.attributes.type).toBe(MESSAGE_PUBLISHED_TYPE);
    expect(event.attributes.datacontenttype).toBe('application/json');
    expect(JSON.parse(Buffer.from(event.data!).toString('utf8'))).toEqual({
      subscription: 'projects/p/subscriptions/s',
      message: {
        data: '3q2+7w==',
        messageId: '1234',
        attributes: message.attributes,
        publishTime: '2026-01-02T03:04:05.678Z',
        orderingKey: 'k1',
      },
    });
  });

  it('names the binding error of a message that claimed to be a CloudEvent', () => {
    const event = wrapForeignMessage(message, { ...ctx, bindingError: 'malformed JSON' });
    expect(event.attributes.bindingerror).toBe('malformed JSON');
  });

  it('falls back to the subscription as source when the topic is unknown', () => {
    const event = wrapForeignMessage(message, { subscription: 'projects/p/subscriptions/s' });
    expect(event.attributes.source).toBe('//pubsub.googleapis.com/projects/p/subscriptions/s');
  });

  it('derives extension names of lower-case letters and digits', () => {
    expect(extensionName('X-Trace_ID.2')).toBe('xtraceid2');
    expect(extensionName('--')).toBeUndefined();
  });
});
