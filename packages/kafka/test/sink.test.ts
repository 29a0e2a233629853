// KafkaSink on the real broker: durable writes read back with a raw consumer, keys, bad input.
import { makeEvent, MeshgateError } from '@meshgate/core';
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../../../test/support/services.js';
import { KafkaSink } from '../src/sink.js';
import { createTopic, deleteTopics, readAll, testClient } from './helpers.js';

const client = testClient('sink-test');
const topics: string[] = [];
const sinks: KafkaSink[] = [];

function sink(topic: string, options: Partial<ConstructorParameters<typeof KafkaSink>[0]> = {}): KafkaSink {
  const s = new KafkaSink({ name: 'test-sink', client, topic, ...options });
  sinks.push(s);
  return s;
}

const event = (n: number, extra: Record<string, string> = {}) =>
  makeEvent(
    { specversion: '1.0', id: `id-${n}`, source: '/sink-test', type: 'test.sink', ...extra },
    Buffer.from([n, 0, 255, n]),
  );

afterAll(async () => {
  await Promise.allSettled(sinks.map((s) => s.close()));
  await deleteTopics(topics);
});

describe('KafkaSink (real broker)', () => {
  it('every resolved send is in the topic, in binary mode, data byte for byte', async () => {
    const topic = await createTopic('sink');
    topics.push(topic);
    const s = sink(topic);
    // Concurrent sends share produce requests; each resolves only after the broker acked it.
    await Promise.all(Array.from({ length: 300 }, (_, i) => s.send(event(i % 250))));
    expect(s.status().state).toBe('ready');
    const records = await readAll(topic, 300);
    expect(records).toHaveLength(300);
    const first = records.find((r) => r.headers.ce_id?.toString() === 'id-7')!;
    expect(first.headers.ce_type?.toString()).toBe('test.sink');
    expect([...first.value!]).toEqual([7, 0, 255, 7]);
    expect(first.key).toBeNull();
  });

  it('structured mode with the partitionkey mapped to the record key', async () => {
    const topic = await createTopic('sink', 3);
    topics.push(topic);
    const s = sink(topic, { contentMode: 'structured', keyFromPartitionKey: true });
    await s.send(event(1, { partitionkey: 'customer-42' }));
    const [record] = await readAll(topic, 1);
    expect(record!.key?.toString()).toBe('customer-42');
    expect(record!.headers['content-type']?.toString()).toMatch(/^application\/cloudevents\+json/);
    const body = JSON.parse(record!.value!.toString());
    expect(body).toMatchObject({ id: 'id-1', partitionkey: 'customer-42', data_base64: 'AQD/AQ==' });
  });

  it('refuses an unknown topic with a clear, non-retriable error and never creates it', async () => {
    const missing = uniqueName('no-such-topic');
    const err = await sink(missing)
      .send(event(1))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MeshgateError);
    expect((err as MeshgateError).code).toBe('NOT_FOUND');
    expect((err as MeshgateError).retriable).toBe(false);
    expect((err as MeshgateError).message).toContain(missing);
  });

  it('refuses invalid events and oversized records before they reach the broker', async () => {
    const topic = await createTopic('sink');
    topics.push(topic);
    const s = sink(topic, { maxRecordBytes: 1024 });
    const invalid = await s
      .send(makeEvent({ specversion: '1.0', id: 'x', source: '/s' }))
      .catch((e: unknown) => e);
    expect((invalid as MeshgateError).code).toBe('EVENT_INVALID');
    const big = await s
      .send(makeEvent({ specversion: '1.0', id: 'x', source: '/s', type: 't' }, Buffer.alloc(4096)))
      .catch((e: unknown) => e);
    expect((big as MeshgateError).code).toBe('PAYLOAD_TOO_LARGE');
    expect((big as MeshgateError).retriable).toBe(false);
  });
});
