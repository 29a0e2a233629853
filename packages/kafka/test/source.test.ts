// KafkaSource on the real broker: contiguous commits, nack + redelivery, restart, rebalance.
import type { Delivery } from '@meshgate/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { sleep, waitUntil } from '../../../test/support/connector-conformance.js';
import { uniqueName } from '../../../test/support/services.js';
import { KafkaSource, type KafkaSourceOptions } from '../src/source.js';
import { committedOffsets, createTopic, deleteTopics, produceRaw, rawKafka, testClient } from './helpers.js';

const client = testClient('source-test');
const topics: string[] = [];
const running: KafkaSource[] = [];

function source(options: Partial<KafkaSourceOptions> & { topics: string[]; groupId: string }): KafkaSource {
  const s = new KafkaSource({
    name: 'test-source',
    client,
    initialOffset: 'earliest',
    commitIntervalMs: 50,
    stopGraceMs: 200,
    ...options,
  });
  running.push(s);
  return s;
}

async function topicWith(n: number, partitions = 1): Promise<string> {
  const topic = await createTopic('src', partitions);
  topics.push(topic);
  await produceRaw(
    topic,
    Array.from({ length: n }, (_, i) => ({ value: `record-${i}`, key: `k${i}` })),
  );
  return topic;
}

/** Waits until the group's committed offset of partition 0 is `expected`. */
async function committedBecomes(groupId: string, topic: string, expected: number): Promise<void> {
  let last = -2;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    last = (await committedOffsets(groupId, topic)).get(0) ?? -1;
    if (last === expected) return;
    await sleep(50);
  }
  throw new Error(`committed offset stayed ${last}, expected ${expected}`);
}

const offsetOf = (d: Delivery) => Number(d.origin.split('@')[1]);

afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});
afterAll(async () => {
  await deleteTopics(topics);
});

describe('KafkaSource (real broker)', () => {
  it('commits only contiguous acks when acks come out of order', async () => {
    const topic = await topicWith(10);
    const groupId = uniqueName('g');
    const held: Delivery[] = [];
    const s = source({ topics: [topic], groupId, ordered: false, maxInFlight: 10 });
    await s.start((d) => held.push(d));
    await waitUntil('10 deliveries', () => held.length === 10);
    const at = (o: number) => held.find((d) => offsetOf(d) === o)!;
    expect(held.map((d) => d.event.attributes.id)).toContain('partition:0/offset:0');

    for (const o of [0, 1, 2, 5, 6, 7]) at(o).ack();
    await committedBecomes(groupId, topic, 3);
    // Several commit rounds later, it still has not moved past the un-acked offset 3.
    await sleep(400);
    expect((await committedOffsets(groupId, topic)).get(0)).toBe(3);
    at(3).ack();
    await committedBecomes(groupId, topic, 4);
    at(4).ack();
    await committedBecomes(groupId, topic, 8);
    for (const o of [8, 9]) at(o).ack();
    await committedBecomes(groupId, topic, 10);
  });

  it('redelivers a nacked record after its delay and keeps its place (ordered)', async () => {
    const topic = await topicWith(3);
    const groupId = uniqueName('g');
    const seen: Array<{ offset: number; redeliveries: number }> = [];
    let failedOnce = false;
    const s = source({ topics: [topic], groupId, ordered: true });
    await s.start((d) => {
      seen.push({ offset: offsetOf(d), redeliveries: d.redeliveries });
      if (offsetOf(d) === 1 && !failedOnce) {
        failedOnce = true;
        d.nack(new Error('subscriber down'), 300);
      } else d.ack();
    });
    await waitUntil('all three acked', () => seen.filter((x) => x.offset === 2).length === 1);
    expect(seen).toEqual([
      { offset: 0, redeliveries: 0 },
      { offset: 1, redeliveries: 0 },
      { offset: 1, redeliveries: 1 },
      { offset: 2, redeliveries: 0 },
    ]);
    await committedBecomes(groupId, topic, 3);
  });

  it('a restarted source (same group) resumes after the last contiguous ack and loses nothing', async () => {
    const topic = await topicWith(10);
    const groupId = uniqueName('g');
    const first: Delivery[] = [];
    const a = source({ topics: [topic], groupId, ordered: false, maxInFlight: 10 });
    await a.start((d) => {
      first.push(d);
      if (offsetOf(d) < 5 || offsetOf(d) === 7) d.ack();
    });
    await waitUntil('10 deliveries', () => first.length === 10);
    await a.stop();
    expect((await committedOffsets(groupId, topic)).get(0)).toBe(5);

    const second: number[] = [];
    const b = source({ topics: [topic], groupId, ordered: false, maxInFlight: 10 });
    await b.start((d) => {
      second.push(offsetOf(d));
      d.ack();
    });
    await waitUntil('the 5 records after the commit', () => second.length === 5);
    expect(second.sort((x, y) => x - y)).toEqual([5, 6, 7, 8, 9]);
    await committedBecomes(groupId, topic, 10);
  });

  it('two members of one group share the partitions and together see every record', async () => {
    const topic = await topicWith(0, 4);
    const groupId = uniqueName('g');
    const got = new Map<string, number>();
    const count = (d: Delivery) => {
      got.set(d.origin, (got.get(d.origin) ?? 0) + 1);
      d.ack();
    };
    const a = source({ topics: [topic], groupId, ordered: false, sessionTimeoutMs: 10_000 });
    await a.start(count);
    const b = source({ topics: [topic], groupId, ordered: false, sessionTimeoutMs: 10_000 });
    await b.start(count);
    await produceRaw(
      topic,
      Array.from({ length: 200 }, (_, i) => ({ value: `r${i}`, partition: i % 4 })),
    );
    await waitUntil('all 200 records', () => got.size === 200);
    // Stopping one member moves its partitions to the other; nothing is lost on the way.
    await a.stop();
    await produceRaw(
      topic,
      Array.from({ length: 40 }, (_, i) => ({ value: `late${i}`, partition: i % 4 })),
    );
    await waitUntil('all 240 records', () => got.size === 240);
    expect(b.status().state).toBe('ready');
  });

  it('wraps plain records with the source name and namespace', async () => {
    const topic = await topicWith(1);
    const events: Delivery[] = [];
    const s = source({ topics: [topic], groupId: uniqueName('g'), namespace: 'ns1', name: 'plain' });
    await s.start((d) => {
      events.push(d);
      d.ack();
    });
    await waitUntil('the record', () => events.length === 1);
    const attrs = events[0]!.event.attributes;
    expect(attrs.source).toBe(`/apis/v1/namespaces/ns1/kafkasources/plain#${topic}`);
    expect(attrs.type).toBe('dev.knative.kafka.event');
    expect(attrs.partitionkey).toBe('k0');
    expect(Buffer.from(events[0]!.event.data!).toString()).toBe('record-0');
  });

  it('a new group with initialOffset latest starts at "now": earlier records are skipped, later ones arrive', async () => {
    const topic = await topicWith(5);
    const got: string[] = [];
    const s = source({ topics: [topic], groupId: uniqueName('g'), initialOffset: 'latest' });
    await s.start((d) => {
      got.push(Buffer.from(d.event.data!).toString());
      d.ack();
    });
    await produceRaw(topic, [{ value: 'after-start' }]);
    await waitUntil('the record written after start', () => got.length >= 1);
    expect(got).toEqual(['after-start']);
  });

  it('a missing topic is reported in status, retried with backoff, and picked up once it exists', async () => {
    const topic = uniqueName('later');
    const got: string[] = [];
    const s = source({ topics: [topic], groupId: uniqueName('g') });
    await s.start((d) => {
      got.push(Buffer.from(d.event.data!).toString());
      d.ack();
    });
    expect(s.status().state).toBe('degraded');
    expect(s.status().reason).toContain(topic);
    const admin = rawKafka().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic }], waitForLeaders: true });
    await admin.disconnect();
    topics.push(topic);
    await produceRaw(topic, [{ value: 'finally' }]);
    await waitUntil('the record once the topic exists', () => got.length === 1);
    expect(got).toEqual(['finally']);
    expect(s.status().state).toBe('ready');
  });
});
