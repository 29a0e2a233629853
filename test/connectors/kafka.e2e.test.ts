/**
 * Kafka end to end (issue 4) with `meshgate start` as a process and a real Kafka broker:
 * KafkaSource -> HTTP sink, a SIGKILL mid-stream, a sink outage with a dead-letter KafkaSink,
 * and the Knative direction (HTTP -> KafkaSink, HTTP -> Broker on a Kafka topic -> Triggers).
 */
import { renameSync } from 'node:fs';
import { type Admin, Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSubscriber } from '../support/processes.js';
import { services, uniqueName } from '../support/services.js';
import { RequestTally, renderConfig, sleep, startGateway } from './support.js';

const kafka = new Kafka({
  clientId: 'e2e-connectors',
  brokers: services.kafkaBrokers(),
  logLevel: logLevel.NOTHING,
});
let admin: Admin;
let producer: Producer;

beforeAll(async () => {
  admin = kafka.admin();
  producer = kafka.producer();
  await Promise.all([admin.connect(), producer.connect()]);
});
afterAll(async () => {
  await Promise.all([admin.disconnect(), producer.disconnect()]);
});

async function createTopic(prefix: string, numPartitions = 1): Promise<string> {
  const topic = uniqueName(prefix);
  await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
  return topic;
}

/** Every record of a topic from the beginning, once `count` have arrived. */
async function readTopic(topic: string, count: number, timeoutMs = 20_000) {
  const consumer = kafka.consumer({ groupId: uniqueName('e2e-reader') });
  const records: { key: string | null; value: Buffer | null; headers: Record<string, string> }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        records.push({ key: message.key?.toString() ?? null, value: message.value, headers });
        if (records.length >= count) resolve();
      },
    });
  });
  try {
    await Promise.race([
      done,
      sleep(timeoutMs).then(() => {
        throw new Error(`read ${records.length} of ${count} records from ${topic}`);
      }),
    ]);
  } finally {
    await consumer.disconnect();
  }
  return records;
}

async function highWatermark(topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((n, p) => n + Number(p.high), 0);
}

function binaryEvent(id: string, data: string | Buffer, extra: Record<string, string> = {}) {
  return {
    headers: {
      ce_specversion: '1.0',
      ce_id: id,
      ce_type: 'com.example.order.created',
      ce_source: '/e2e/orders',
      'content-type': 'application/octet-stream',
      ...extra,
    },
    value: typeof data === 'string' ? Buffer.from(data) : data,
  };
}

describe('Kafka end to end', () => {
  it('a plain record and a binary-mode CloudEvent record arrive at an HTTP sink with the right attributes and identical data', async () => {
    const topic = await createTopic('e2e-kafka-source');
    const sink = await startSubscriber();
    const gw = await startGateway(
      renderConfig('kafka-source.yaml', {
        group: uniqueName('e2e-group'),
        bootstrap: services.kafkaBrokers().join(','),
        topic,
        sinkUrl: sink.url,
      }),
    );
    const bytes = Buffer.from([0, 1, 2, 0xfe, 0xff, 0x80, 10, 13]);
    await producer.send({
      topic,
      messages: [
        { key: 'order-7', value: Buffer.from('plain text, not an event') },
        binaryEvent('evt-1', bytes),
      ],
    });
    await sink.waitForLines((l) => l.startsWith('{'), 2);
    const requests = sink.requests();
    const plain = requests.find((r) => r.headers['ce-type'] === 'dev.knative.kafka.event');
    const ce = requests.find((r) => r.headers['ce-id'] === 'evt-1');
    expect(plain?.headers['ce-source']).toBe(`/apis/v1/namespaces/shop/kafkasources/orders-source#${topic}`);
    expect(plain?.headers['ce-subject']).toBe('partition:0#0');
    expect(plain?.headers['ce-partitionkey']).toBe('order-7');
    expect(plain?.body.toString()).toBe('plain text, not an event');
    expect(ce?.headers['ce-type']).toBe('com.example.order.created');
    expect(ce?.headers['ce-source']).toBe('/e2e/orders');
    expect(ce?.headers['ce-specversion']).toBe('1.0');
    expect(ce?.headers['content-type']).toBe('application/octet-stream');
    expect(ce?.body.equals(bytes)).toBe(true);
    expect(await gw.proc.stop('SIGTERM')).toBe(0);
  });

  it('a configuration reload moves a running KafkaSource to a new sink: the changed source restarts, nothing is lost', async () => {
    const topic = await createTopic('e2e-kafka-reload');
    const [first, second] = await Promise.all([startSubscriber(), startSubscriber()]);
    const vars = { group: uniqueName('e2e-reload'), bootstrap: services.kafkaBrokers().join(','), topic };
    const file = renderConfig('kafka-source.yaml', { ...vars, sinkUrl: first.url });
    const gw = await startGateway(file);
    await producer.send({ topic, messages: [binaryEvent('r-1', '{}')] });
    await new RequestTally(first).until((t) => t.ids.has('r-1'), 20_000, 'r-1 at the first sink');

    // Replace the file in one step, as an editor or a ConfigMap update does.
    renameSync(renderConfig('kafka-source.yaml', { ...vars, sinkUrl: second.url }), file);
    await gw.proc.waitFor(/"stopped":1,"msg":"connectors reconciled"/, 20_000);
    await producer.send({ topic, messages: [binaryEvent('r-2', '{}')] });
    await new RequestTally(second).until((t) => t.ids.has('r-2'), 30_000, 'r-2 at the second sink');
    expect(new RequestTally(first).update().ids.has('r-2')).toBe(false);
    expect(await gw.proc.stop('SIGTERM')).toBe(0);
  });

  it('crash: 10,000 events, the gateway SIGKILLed mid-stream and restarted: every event arrives at least once', async () => {
    const total = 10_000;
    const topic = await createTopic('e2e-kafka-crash', 4);
    for (let start = 0; start < total; start += 1000) {
      await producer.send({
        topic,
        messages: Array.from({ length: 1000 }, (_, i) => binaryEvent(`e-${start + i}`, `{"n":${start + i}}`)),
      });
    }
    const sink = await startSubscriber();
    const config = renderConfig('kafka-crash.yaml', {
      group: uniqueName('e2e-crash'),
      bootstrap: services.kafkaBrokers().join(','),
      topic,
      sinkUrl: sink.url,
    });
    const tally = new RequestTally(sink);
    const first = await startGateway(config);
    await tally.until((t) => t.ids.size >= 2_500, 60_000, '2,500 events before the crash');
    first.proc.child.kill('SIGKILL');
    await first.proc.exited();
    const atCrash = tally.update().ids.size;

    // The restarted gateway gets the partitions once the group drops the killed member, after
    // its session timeout (30 s): most of this test's time. Delivering 10,000 events takes ~4 s.
    const second = await startGateway(config);
    // Generous bounds: `npm test` runs every file at once on a small machine.
    await tally.until((t) => t.ids.size >= total, 120_000, 'every event after the restart');
    console.info(
      `kafka crash test: ${total} events, ${atCrash} distinct before the SIGKILL, ${tally.delivered} deliveries, ${tally.duplicates} duplicates`,
    );
    for (let i = 0; i < total; i++) expect(tally.ids.has(`e-${i}`)).toBe(true);
    expect(tally.ids.size).toBe(total);
    expect(atCrash).toBeLessThan(total);
    expect(await second.proc.stop('SIGTERM')).toBe(0);
  }, 240_000);

  it('sink outage: nothing lost once the sink recovers; with a small retry policy events go to a dead-letter KafkaSink', async () => {
    const topic = await createTopic('e2e-kafka-outage');
    const dlqTopic = uniqueName('e2e-kafka-dlq'); // created by the KafkaSink, as Knative's does
    // Down (503) for its first 20 s: each event gets 4 attempts, then is nacked (the source keeps
    // its place) and tried again until the sink recovers.
    const OUTAGE_MS = 20_000;
    const recovering = await startSubscriber(['--fail-ms', String(OUTAGE_MS)]);
    const outageEnds = Date.now() + OUTAGE_MS;
    const failing = await startSubscriber(['--status', '503']);
    const gw = await startGateway(
      renderConfig('kafka-outage.yaml', {
        group: uniqueName('e2e-outage'),
        bootstrap: services.kafkaBrokers().join(','),
        topic,
        dlqTopic,
        recoveringUrl: recovering.url,
        failingUrl: failing.url,
      }),
    );
    const ids = ['o-1', 'o-2', 'o-3', 'o-4', 'o-5'];
    await producer.send({ topic, messages: ids.map((id) => binaryEvent(id, `{"id":"${id}"}`)) });

    const tally = new RequestTally(recovering);
    await tally.until((t) => ids.every((id) => t.ids.has(id)), 90_000, 'every event at the recovered sink');
    const accepted = recovering.requests().filter((r) => r.status === 202);
    expect(accepted.every((r) => r.at >= outageEnds - 1_000)).toBe(true); // nothing got through the outage
    expect(recovering.requests().filter((r) => r.status === 503).length).toBeGreaterThanOrEqual(4);

    const dead = await readTopic(dlqTopic, ids.length);
    expect(dead.map((r) => r.headers.ce_id).sort()).toEqual(ids);
    for (const r of dead) {
      expect(r.headers.ce_knativeerrorcode).toBe('503');
      expect(r.headers.ce_knativeerrordest).toBe(failing.url);
      expect(r.value?.toString()).toBe(`{"id":"${r.headers.ce_id}"}`);
    }
    // Each event was tried twice (retry: 1) at the failing sink before it was dead-lettered.
    expect(new RequestTally(failing).update().requests).toBeGreaterThanOrEqual(2 * ids.length);
    expect(await gw.proc.stop('SIGTERM')).toBe(0);
  }, 120_000);

  it('Knative direction: 202 from a KafkaSink and from a Broker on a Kafka Connection only once the event is in Kafka; each Trigger has its own progress', async () => {
    const sinkTopic = uniqueName('e2e-kafkasink');
    const brokerTopic = uniqueName('e2e-broker');
    const fast = await startSubscriber();
    const slow = await startSubscriber(['--fail', '4:503']);
    const gw = await startGateway(
      renderConfig('kafka-knative.yaml', {
        bootstrap: services.kafkaBrokers().join(','),
        sinkTopic,
        brokerTopic,
        fastUrl: fast.url,
        slowUrl: slow.url,
      }),
    );
    const post = (path: string, id: string) =>
      fetch(`${gw.url}${path}`, {
        method: 'POST',
        headers: {
          'ce-specversion': '1.0',
          'ce-id': id,
          'ce-type': 'com.example.knative',
          'ce-source': '/knative/trigger',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ id }),
      });

    // KafkaSink: the 202 comes after the write, so the record is there the moment it answers.
    const res = await post('/shop/orders-out', 'k-1');
    expect(res.status).toBe(202);
    expect(await highWatermark(sinkTopic)).toBe(1);
    const [record] = await readTopic(sinkTopic, 1);
    expect(record?.headers.ce_id).toBe('k-1');
    expect(record?.headers.ce_source).toBe('/knative/trigger');
    expect(record?.value?.toString()).toBe('{"id":"k-1"}');

    // Broker on a Kafka topic: ingress answers 202 once the event is in the topic.
    const ids = ['b-1', 'b-2', 'b-3'];
    for (const [i, id] of ids.entries()) {
      const r = await post('/shop/default', id);
      expect(r.status).toBe(202);
      expect(await highWatermark(brokerTopic)).toBe(i + 1);
    }
    const fastTally = new RequestTally(fast);
    const slowTally = new RequestTally(slow);
    await fastTally.until((t) => ids.every((id) => t.ids.has(id)), 20_000, 'the fast Trigger');
    await slowTally.until((t) => ids.every((id) => t.ids.has(id)), 20_000, 'the slow Trigger');
    expect(slowTally.requests).toBeGreaterThanOrEqual(ids.length + 4);

    // Each Trigger is its own consumer group and commits its own progress.
    const committed = async (trigger: string) => {
      const [topicOffsets] = await admin.fetchOffsets({
        groupId: `meshgate.shop.default.${trigger}`,
        topics: [brokerTopic],
      });
      return topicOffsets?.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0) ?? 0;
    };
    for (const trigger of ['fast', 'slow']) {
      const deadline = Date.now() + 10_000;
      while ((await committed(trigger)) < ids.length && Date.now() < deadline) await sleep(200);
      expect(await committed(trigger)).toBe(ids.length);
    }
    expect(await gw.proc.stop('SIGTERM')).toBe(0);
  });
});
