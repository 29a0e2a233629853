import { makeEvent } from '@meshgate/core';
import { describe, expect, it } from 'vitest';
import {
  eventToRecord,
  type IncomingRecord,
  isCloudEventRecord,
  kafkaBinding,
  keyValue,
  type OutgoingRecord,
  recordToEvent,
} from './binding.js';

const wrap = { namespace: 'default', name: 'orders-source' };

/** What a consumer would read back for a produced record. */
function asRead(out: OutgoingRecord, offset = '7'): IncomingRecord {
  const headers: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(out.headers)) headers[k] = Buffer.isBuffer(v) ? v : Buffer.from(v);
  return { topic: 'orders', partition: 2, offset, key: out.key, value: out.value, headers, timestamp: '0' };
}

const bytes = new Uint8Array([0, 255, 1, 128, 10, 13, 0x80, 0xc3]);
const base = { specversion: '1.0', id: 'e-1', source: '/orders', type: 'order.created' };

describe('Kafka binding', () => {
  it('binary mode: ce_ headers, content-type header, value is the data byte for byte', () => {
    const event = makeEvent({ ...base, datacontenttype: 'application/octet-stream', seq: 3 }, bytes);
    const out = eventToRecord(event, { mode: 'binary' });
    expect(out.headers).toMatchObject({
      ce_id: 'e-1',
      ce_specversion: '1.0',
      ce_seq: '3',
      'content-type': 'application/octet-stream',
    });
    expect(out.headers.ce_datacontenttype).toBeUndefined();
    expect(out.key).toBeNull();
    expect(Buffer.compare(out.value!, Buffer.from(bytes))).toBe(0);
    const back = recordToEvent(asRead(out), wrap);
    expect(back.wrapped).toBe(false);
    expect(back.event.attributes).toEqual({
      ...base,
      datacontenttype: 'application/octet-stream',
      seq: '3',
    });
    expect(Buffer.compare(Buffer.from(back.event.data!), Buffer.from(bytes))).toBe(0);
  });

  it('structured mode: the value is the JSON event format, non-JSON data survives', () => {
    const event = makeEvent({ ...base, datacontenttype: 'image/png' }, bytes);
    const out = eventToRecord(event, { mode: 'structured' });
    expect(out.headers['content-type']).toBe('application/cloudevents+json; charset=UTF-8');
    expect(JSON.parse(out.value!.toString()).data_base64).toBe(Buffer.from(bytes).toString('base64'));
    const back = recordToEvent(asRead(out), wrap);
    expect(back.wrapped).toBe(false);
    expect(back.event.attributes).toEqual(event.attributes);
    expect(Buffer.compare(Buffer.from(back.event.data!), Buffer.from(bytes))).toBe(0);
  });

  it('maps partitionkey to the record key only when asked, and the key back to partitionkey', () => {
    const event = makeEvent({ ...base, partitionkey: 'customer-9' }, '{"a":1}');
    expect(eventToRecord(event, { mode: 'binary' }).key).toBeNull();
    const out = eventToRecord(event, { mode: 'structured', keyFromPartitionKey: true });
    expect(out.key?.toString()).toBe('customer-9');
    // A record written by someone else with a key and no partitionkey gets one from the key.
    const plain = eventToRecord(makeEvent(base, 'x'), { mode: 'binary' });
    const back = recordToEvent({ ...asRead(plain), key: Buffer.from('k-1') }, wrap);
    expect(back.event.attributes.partitionkey).toBe('k-1');
  });

  it('wraps a plain record the way Knative KafkaSource does', () => {
    const value = Buffer.from('hello, not an event');
    const rec: IncomingRecord = {
      topic: 'logs',
      partition: 1,
      offset: '42',
      key: Buffer.from('k'),
      value,
      headers: { 'content-type': Buffer.from('text/plain'), 'X-Trace': Buffer.from('abc') },
      timestamp: String(Date.UTC(2024, 0, 2, 3, 4, 5, 6)),
    };
    const out = recordToEvent(rec, wrap);
    expect(out.wrapped).toBe(true);
    expect(out.event.attributes).toEqual({
      specversion: '1.0',
      id: 'partition:1/offset:42',
      source: '/apis/v1/namespaces/default/kafkasources/orders-source#logs',
      type: 'dev.knative.kafka.event',
      subject: 'partition:1#42',
      time: '2024-01-02T03:04:05.006Z',
      datacontenttype: 'text/plain',
      kafkaheadercontenttype: 'text/plain',
      kafkaheaderxtrace: 'abc',
      partitionkey: 'k',
      key: 'k',
    });
    expect(out.event.data).toBe(value);
  });

  it('wraps, and reports, a record that claims to be a CloudEvent and is not a valid one', () => {
    const broken: IncomingRecord = {
      topic: 't',
      partition: 0,
      offset: '1',
      key: null,
      value: Buffer.from('{"specversion":"1.0"'),
      headers: { 'content-type': Buffer.from('application/cloudevents+json') },
      timestamp: '1',
    };
    const out = recordToEvent(broken, wrap);
    expect(out.wrapped).toBe(true);
    expect(out.wrapped && out.problem?.code).toBe('EVENT_INVALID');
    expect(out.event.data).toBe(broken.value);

    const missingId = recordToEvent(
      { ...broken, value: null, headers: { ce_specversion: '1.0', ce_type: 't', ce_source: '/s' } },
      wrap,
    );
    expect(missingId.wrapped && missingId.problem?.message).toMatch(/'id'/);
  });

  it('treats a record without value as an event without data', () => {
    const out = eventToRecord(makeEvent(base), { mode: 'binary' });
    expect(out.value).toBeNull();
    const back = recordToEvent(asRead(out), wrap);
    expect(back.event.data).toBeUndefined();
  });

  it('tells CloudEvent records from plain ones, as one binding object', () => {
    const event = makeEvent(base, 'x');
    expect(isCloudEventRecord(asRead(kafkaBinding.binary(event)))).toBe(true);
    expect(isCloudEventRecord(asRead(kafkaBinding.structured(event)))).toBe(true);
    expect(kafkaBinding.isEvent({ headers: { 'x-app': Buffer.from('1') } })).toBe(false);
    expect(kafkaBinding.toEvent(asRead(kafkaBinding.structured(event)), wrap).event.attributes).toEqual(base);
  });

  it('reads record keys per Knative key type', () => {
    const int32 = Buffer.alloc(4);
    int32.writeInt32BE(-42);
    const int64 = Buffer.alloc(8);
    int64.writeBigInt64BE(2n ** 40n);
    const f64 = Buffer.alloc(8);
    f64.writeDoubleBE(1.5);
    expect(keyValue(int32, 'int')).toBe(-42);
    expect(keyValue(int64, 'int')).toBe(String(2n ** 40n));
    expect(keyValue(f64, 'float')).toBe('1.5');
    expect(keyValue(Buffer.from('abc'), 'byte-array')).toEqual(new Uint8Array([97, 98, 99]));
    expect(keyValue(Buffer.from('abc'))).toBe('abc');
    expect(keyValue(Buffer.from([0xff, 0xfe]))).toEqual(new Uint8Array([0xff, 0xfe]));
    const rec: IncomingRecord = {
      topic: 't',
      partition: 0,
      offset: '0',
      key: int32,
      value: null,
      timestamp: '0',
    };
    expect(recordToEvent(rec, { ...wrap, keyType: 'int' }).event.attributes.partitionkey).toBe(-42);
  });
});
