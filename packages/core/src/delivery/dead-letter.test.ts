import { describe, expect, it } from 'vitest';
import { makeEvent } from '../event/mesh-event.js';
import { deadLetterEvent, ERROR_DATA_MAX_LENGTH } from './dead-letter.js';

const event = makeEvent(
  {
    specversion: '1.0',
    id: 'e1',
    source: '/orders',
    type: 'order.created',
    datacontenttype: 'application/json',
  },
  '{"n":1}',
);

describe('deadLetterEvent', () => {
  it('adds the three knativeerror extensions and keeps the event as it was', () => {
    const dl = deadLetterEvent(event, {
      destination: 'http://sub.example/hook',
      status: 503,
      body: Buffer.from('unavailable'),
    });
    expect(dl.attributes).toEqual({
      ...event.attributes,
      knativeerrordest: 'http://sub.example/hook',
      knativeerrorcode: 503,
      knativeerrordata: Buffer.from('unavailable').toString('base64'),
    });
    expect(dl.data).toBe(event.data);
    expect(event.attributes.knativeerrordest).toBeUndefined();
  });

  it('cuts knativeerrordata at 1024 base64 characters, the base64 of the first 768 bytes', () => {
    const body = Buffer.alloc(2000, 0).map((_, i) => i % 251);
    const data = deadLetterEvent(event, { destination: 'http://s/', status: 500, body }).attributes
      .knativeerrordata as string;
    expect(data).toHaveLength(ERROR_DATA_MAX_LENGTH);
    expect(Buffer.from(data, 'base64')).toEqual(body.subarray(0, 768));
  });

  it('leaves a short body whole', () => {
    const body = Buffer.alloc(767, 7);
    const data = deadLetterEvent(event, { destination: 'http://s/', status: 500, body }).attributes
      .knativeerrordata as string;
    expect(Buffer.from(data, 'base64')).toEqual(body);
  });

  it('reports no answer as 500 with "dispatch error: ..." as the data, as Knative', () => {
    const dl = deadLetterEvent(event, {
      destination: 'http://s/',
      error: 'connect ECONNREFUSED 127.0.0.1:9',
    });
    expect(dl.attributes.knativeerrorcode).toBe(500);
    expect(Buffer.from(dl.attributes.knativeerrordata as string, 'base64').toString()).toBe(
      'dispatch error: connect ECONNREFUSED 127.0.0.1:9',
    );
  });

  it('sets an empty knativeerrordata when the answer had no body', () => {
    expect(
      deadLetterEvent(event, { destination: 'http://s/', status: 404 }).attributes.knativeerrordata,
    ).toBe('');
  });

  it('replaces the extensions of an event that was dead-lettered before', () => {
    const once = deadLetterEvent(event, { destination: 'http://a/', status: 500 });
    const twice = deadLetterEvent(once, { destination: 'http://b/', status: 429, body: Buffer.from('x') });
    expect(twice.attributes.knativeerrordest).toBe('http://b/');
    expect(twice.attributes.knativeerrorcode).toBe(429);
    expect(twice.attributes.knativeerrordata).toBe('eA==');
  });
});
