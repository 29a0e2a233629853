// The binding through the real broker: KafkaSink writes, KafkaSource reads, both content modes,
// with and without partitionkey, non-JSON data byte for byte, plain records wrapped.
import type { Delivery, MeshEvent } from '@meshgate/core';
import { makeEvent } from '@meshgate/core';
import { afterAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../../../test/support/connector-conformance.js';
import { uniqueName } from '../../../test/support/services.js';
import type { ContentMode } from '../src/binding.js';
import { KafkaSink } from '../src/sink.js';
import { KafkaSource } from '../src/source.js';
import { createTopic, deleteTopics, produceRaw, readAll, testClient } from './helpers.js';

const client = testClient('binding-test');
const topics: string[] = [];
afterAll(async () => {
  await deleteTopics(topics);
});

const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x7b, 0x22]); // not UTF-8, not JSON

async function roundTrip(mode: ContentMode, events: MeshEvent[]) {
  const topic = await createTopic(`binding-${mode}`, 3);
  topics.push(topic);
  const sink = new KafkaSink({ name: 'rt', client, topic, contentMode: mode, keyFromPartitionKey: true });
  for (const e of events) await sink.send(e);
  await sink.close();
  const raw = await readAll(topic, events.length);
  const got: Delivery[] = [];
  const source = new KafkaSource({
    name: 'rt',
    client,
    topics: [topic],
    groupId: uniqueName('rt'),
    initialOffset: 'earliest',
  });
  await source.start((d) => {
    got.push(d);
    d.ack();
  });
  await waitUntil('every event back', () => got.length === events.length);
  await source.stop();
  const byId = new Map(got.map((d) => [d.event.attributes.id, d.event]));
  return { raw, byId };
}

describe('Kafka binding through the broker', () => {
  for (const mode of ['binary', 'structured'] as const) {
    it(`${mode}: attributes, partitionkey <-> record key, data byte for byte`, async () => {
      const keyed = makeEvent(
        {
          specversion: '1.0',
          id: 'k1',
          source: '/b',
          type: 't',
          datacontenttype: 'application/octet-stream',
          partitionkey: 'acct-7',
        },
        bytes,
      );
      const unkeyed = makeEvent(
        { specversion: '1.0', id: 'u1', source: '/b', type: 't', datacontenttype: 'application/json' },
        '{"a": 1}',
      );
      const { raw, byId } = await roundTrip(mode, [keyed, unkeyed]);
      const keys = raw.map((r) => r.key?.toString() ?? null).sort();
      expect(keys).toEqual(['acct-7', null].sort());
      const k = byId.get('k1')!;
      expect(k.attributes).toEqual(keyed.attributes);
      expect(Buffer.compare(Buffer.from(k.data!), bytes)).toBe(0);
      const u = byId.get('u1')!;
      expect(u.attributes).toEqual(unkeyed.attributes);
      expect(u.attributes.partitionkey).toBeUndefined();
      expect(JSON.parse(Buffer.from(u.data!).toString())).toEqual({ a: 1 });
      if (mode === 'binary') expect(Buffer.from(u.data!).toString()).toBe('{"a": 1}');
    });
  }

  it('a plain record is wrapped, its key kept as partitionkey and its value byte for byte', async () => {
    const topic = await createTopic('binding-plain');
    topics.push(topic);
    await produceRaw(topic, [
      { value: bytes, key: 'device-1', headers: { 'content-type': 'application/x-raw' } },
    ]);
    const got: MeshEvent[] = [];
    const source = new KafkaSource({
      name: 'plain-src',
      namespace: 'edge',
      client,
      topics: [topic],
      groupId: uniqueName('plain'),
      initialOffset: 'earliest',
    });
    await source.start((d) => {
      got.push(d.event);
      d.ack();
    });
    await waitUntil('the wrapped record', () => got.length === 1);
    await source.stop();
    expect(got[0]!.attributes).toMatchObject({
      specversion: '1.0',
      type: 'dev.knative.kafka.event',
      source: `/apis/v1/namespaces/edge/kafkasources/plain-src#${topic}`,
      id: 'partition:0/offset:0',
      subject: 'partition:0#0',
      partitionkey: 'device-1',
      key: 'device-1',
      datacontenttype: 'application/x-raw',
    });
    expect(Buffer.compare(Buffer.from(got[0]!.data!), bytes)).toBe(0);
  });
});
