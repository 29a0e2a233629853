import { InvalidEventError } from '@meshgate/core';
import { describe, expect, it } from 'vitest';
import {
  KymaLegacyEventError,
  kymaLegacyErrorBody,
  kymaLegacyResponseBody,
  kymaLegacyToEvent,
} from './kyma.js';

const legacy = {
  'event-type': 'order.created',
  'event-type-version': 'v1',
  'event-id': '8954ad1c-78ed-4c58-a639-68bd44031de0',
  'event-time': '2020-09-28T14:47:16.491Z',
  data: { orderCode: '123' },
};

describe('kymaLegacyToEvent', () => {
  it('maps a legacy event to a CloudEvent', () => {
    const e = kymaLegacyToEvent('commerce', legacy);
    expect(e.attributes).toEqual({
      specversion: '1.0',
      id: legacy['event-id'],
      source: 'commerce',
      type: 'order.created',
      time: legacy['event-time'],
      datacontenttype: 'application/json',
      eventtypeversion: 'v1',
    });
    expect(JSON.parse(Buffer.from(e.data ?? []).toString())).toEqual({ orderCode: '123' });
    expect(JSON.parse(kymaLegacyResponseBody(e).toString())['event-id']).toBe(legacy['event-id']);
  });

  it('generates a UUID when event-id is absent, and JSON-encodes string data', () => {
    const { 'event-id': _id, ...noId } = legacy;
    const e = kymaLegacyToEvent('app', { ...noId, data: 'text', 'event-tracing': true });
    expect(e.attributes.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Buffer.from(e.data ?? []).toString()).toBe('"text"');
  });

  it.each([
    [{ ...legacy, 'event-type': undefined }, 'event-type', 'missing_field'],
    [{ ...legacy, 'event-type-version': '' }, 'event-type-version', 'missing_field'],
    [{ ...legacy, 'event-type-version': 'v1.0' }, 'event-type-version', 'invalid_field'],
    [{ ...legacy, 'event-time': '28.09.2020' }, 'event-time', 'invalid_field'],
    [{ ...legacy, 'event-id': 'foo-bar' }, 'event-id', 'invalid_field'],
    [{ ...legacy, data: '' }, 'data', 'missing_field'],
    [{ ...legacy, data: null }, 'data', 'missing_field'],
    [{ ...legacy, 'event-type': 42 }, 'event-type', 'invalid_field'],
    [[legacy], 'body', 'bad_payload'],
  ])('rejects %j naming %s', (body, field, kind) => {
    let err: unknown;
    try {
      kymaLegacyToEvent('app', body);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KymaLegacyEventError);
    expect(err).toBeInstanceOf(InvalidEventError);
    expect((err as KymaLegacyEventError).field).toBe(field);
    expect((err as KymaLegacyEventError).kind).toBe(kind);
    const body400 = JSON.parse(kymaLegacyErrorBody(400, err).toString());
    expect(body400.error.details[0].field).toBe(field);
  });

  it('rejects an application name that cannot be a CloudEvents source', () => {
    expect(() => kymaLegacyToEvent('my app', legacy)).toThrow(/source 'my app' is not a URI-reference/);
    expect(() => kymaLegacyToEvent('', legacy)).toThrow(KymaLegacyEventError);
  });
});
