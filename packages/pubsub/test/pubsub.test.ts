// Pub/Sub connector behaviour beyond the shared conformance suite, on the real emulator.
import type { Message } from '@google-cloud/pubsub';
import { type Delivery, MeshgateError, makeEvent } from '@meshgate/core';
import { afterAll, describe, expect, it } from 'vitest';
import { DeliveryRecorder, sleep, waitUntil } from '../../../test/support/connector-conformance.js';
import { services, uniqueName } from '../../../test/support/services.js';
import {
  MESSAGE_PUBLISHED_TYPE,
  PubSubChannel,
  PubSubSink,
  PubSubSource,
  createPubSubConnection,
} from '../src/index.js';

const connection = createPubSubConnection({
  name: 'it',
  projectId: services.pubsubProjectId(),
  emulatorHost: services.pubsubEmulatorHost(),
});
const client = connection.client;
const cleanups: Array<() => Promise<unknown>> = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  await connection.close();
});

async function topicWithSubscription(options: { ordered?: boolean; ackDeadlineSeconds?: number } = {}) {
  const [topic] = await client.createTopic(uniqueName('it'));
  const [subscription] = await topic.createSubscription(uniqueName('it-sub'), {
    enableMessageOrdering: options.ordered ?? false,
    ackDeadlineSeconds: options.ackDeadlineSeconds ?? 10,
  });
  cleanups.push(
    () => subscription.delete(),
    () => topic.delete(),
  );
  return { topic: topic.name, subscription: subscription.name };
}

function event(n: number, extra: Record<string, string> = {}) {
  return makeEvent(
    { specversion: '1.0', id: uniqueName(`e${n}`), source: '/it', type: 'io.meshgate.it', ...extra },
    `payload ${n}`,
  );
}

describe('PubSubSink', () => {
  it('resolves with the message id Pub/Sub assigned', async () => {
    const dest = await topicWithSubscription();
    const sink = new PubSubSink({ connection, topic: dest.topic });
    const id = await sink.publish(event(1));
    const recorder = new DeliveryRecorder();
    const source = new PubSubSource({ connection, subscription: dest.subscription });
    await source.start(recorder.handler);
    await recorder.waitFor(1);
    await source.stop();
    await sink.close();
    expect(recorder.received[0]!.origin).toBe(`${dest.subscription}#${id}`);
    expect(sink.status().state).toBe('stopped');
  });

  it('rejects with a retriable NOT_CONNECTED when Pub/Sub is unreachable, and shows degraded', async () => {
    const nowhere = createPubSubConnection({
      name: 'nowhere',
      projectId: 'meshgate-test',
      emulatorHost: '127.0.0.1:9',
    });
    const sink = new PubSubSink({ connection: nowhere, topic: 'orders', publishTimeoutMs: 1000 });
    const err = await sink.send(event(1)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NOT_CONNECTED', retriable: true });
    expect((err as Error).message).toContain('"nowhere"');
    expect(sink.status().state).toBe('degraded');
    await sink.close().catch(() => {});
    await nowhere.close();
  });

  it('refuses an invalid event before publishing', async () => {
    const dest = await topicWithSubscription();
    const sink = new PubSubSink({ connection, topic: dest.topic });
    const bad = makeEvent({ specversion: '1.0', id: '1', type: 't' });
    await expect(sink.send(bad)).rejects.toMatchObject({ code: 'EVENT_INVALID' });
    await sink.close();
  });

  it('publishes events of one partitionkey in order with ordering keys', async () => {
    const dest = await topicWithSubscription({ ordered: true });
    const sink = new PubSubSink({ connection, topic: dest.topic, orderingKeyAttribute: 'partitionkey' });
    const events = Array.from({ length: 12 }, (_, i) =>
      event(i, { partitionkey: i % 2 === 0 ? 'even' : 'odd' }),
    );
    await Promise.all(events.map((e) => sink.send(e)));
    const [sub] = await client.subscription(dest.subscription).get();
    const keys: string[] = [];
    sub.on('message', (m: Message) => {
      keys.push(`${m.orderingKey}:${m.attributes['ce-id']}`);
      m.ack();
    });
    await waitUntil('12 messages', () => keys.length >= 12);
    await sub.close();
    await sink.close();
    for (const key of ['even', 'odd']) {
      const sent = events
        .filter((e) => e.attributes.partitionkey === key)
        .map((e) => `${key}:${e.attributes.id}`);
      expect(keys.filter((k) => k.startsWith(`${key}:`))).toEqual(sent);
    }
  });
});

describe('PubSubSource', () => {
  it('refuses to start on a subscription that does not exist, naming it', async () => {
    const name = uniqueName('nosuch');
    const source = new PubSubSource({ connection, subscription: name });
    const err = await source
      .start(() => {})
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(MeshgateError);
    expect((err as MeshgateError).code).toBe('NOT_FOUND');
    expect((err as MeshgateError).message).toContain(name);
    expect(source.status().state).toBe('stopped');
  });

  it('creates its subscription on the given topic when it is missing, starting from now', async () => {
    const [topic] = await client.createTopic(uniqueName('it'));
    const subscription = uniqueName('it-created');
    cleanups.push(
      () => client.subscription(subscription).delete(),
      () => topic.delete(),
    );
    const sink = new PubSubSink({ connection, topic: topic.name });
    await sink.send(event(0)); // before the subscription exists: not for it
    const recorder = new DeliveryRecorder();
    const source = new PubSubSource({ connection, subscription, topic: topic.name, ackDeadlineSeconds: 20 });
    await source.start(recorder.handler);
    const [metadata] = await client.subscription(subscription).getMetadata();
    expect(metadata.ackDeadlineSeconds).toBe(20);
    const later = event(1);
    await sink.send(later);
    await recorder.waitForIds([String(later.attributes.id)]);
    await sleep(200);
    await source.stop();
    await sink.close();
    expect(recorder.ids()).toEqual([later.attributes.id]);
  });

  it("moves a message nacked maxDeliveryAttempts times to the subscription's dead-letter topic", async () => {
    const [topic] = await client.createTopic(uniqueName('it'));
    const [deadTopic] = await client.createTopic(uniqueName('it-dead'));
    const [dead] = await deadTopic.createSubscription(uniqueName('it-dead-sub'));
    const subscription = uniqueName('it-dl');
    cleanups.push(
      () => client.subscription(subscription).delete(),
      () => dead.delete(),
      () => deadTopic.delete(),
      () => topic.delete(),
    );
    const recorder = new DeliveryRecorder((d) => d.nack(new Error('always fails')));
    const source = new PubSubSource({
      connection,
      subscription,
      topic: topic.name,
      deadLetter: { topic: deadTopic.name, maxDeliveryAttempts: 5 },
    });
    await source.start(recorder.handler);
    const sent = event(1);
    await new PubSubSink({ connection, topic: topic.name }).send(sent);
    const deadLettered: string[] = [];
    dead.on('message', (m: Message) => {
      deadLettered.push(String(m.attributes['ce-id']));
      m.ack();
    });
    await waitUntil('the dead-lettered message', () => deadLettered.length > 0);
    await dead.close();
    await source.stop();
    expect(deadLettered).toEqual([sent.attributes.id]);
    expect(recorder.received.map((d) => d.redeliveries)).toEqual([0, 1, 2, 3, 4]);
  });

  it('refuses a dead-letter policy outside Pub/Sub limits, and a topic that does not exist', async () => {
    const dest = await topicWithSubscription();
    const subscription = uniqueName('it-bad-dl');
    const badPolicy = new PubSubSource({
      connection,
      subscription,
      topic: dest.topic,
      deadLetter: { topic: 'dead-topic', maxDeliveryAttempts: 1 },
    });
    await expect(badPolicy.start(() => {})).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    const missing = uniqueName('it-missing');
    const noTopic = new PubSubSource({ connection, subscription, topic: missing });
    const err = await noTopic.start(() => {}).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NOT_FOUND' });
    expect((err as Error).message).toContain(missing);
    const [exists] = await client.subscription(subscription).exists();
    expect(exists).toBe(false);
  });

  it("wraps foreign messages as Eventarc's messagePublished event when asked", async () => {
    const dest = await topicWithSubscription();
    await client
      .topic(dest.topic)
      .publishMessage({ data: Buffer.from('{"a":1}'), attributes: { origin: 'legacy' } });
    const recorder = new DeliveryRecorder();
    const source = new PubSubSource({ connection, subscription: dest.subscription, foreign: 'envelope' });
    await source.start(recorder.handler);
    await recorder.waitFor(1);
    await source.stop();
    const wrapped = recorder.received[0]!.event;
    expect(wrapped.attributes).toMatchObject({
      type: MESSAGE_PUBLISHED_TYPE,
      source: `//pubsub.googleapis.com/${dest.topic}`,
      datacontenttype: 'application/json',
    });
    const data = JSON.parse(Buffer.from(wrapped.data!).toString('utf8'));
    expect(data.subscription).toBe(dest.subscription);
    expect(Buffer.from(data.message.data, 'base64').toString('utf8')).toBe('{"a":1}');
    expect(data.message.attributes).toEqual({ origin: 'legacy' });
    expect(data.message.messageId).toBe(wrapped.attributes.id);
  });

  it('keeps extending the lease of a delivery held past the ack deadline (no redelivery)', async () => {
    const dest = await topicWithSubscription({ ackDeadlineSeconds: 10 });
    const sink = new PubSubSink({ connection, topic: dest.topic });
    await sink.send(event(1));
    await sink.close();
    const held: Delivery[] = [];
    const recorder = new DeliveryRecorder((d) => held.push(d));
    const source = new PubSubSource({ connection, subscription: dest.subscription });
    await source.start(recorder.handler);
    await recorder.waitFor(1);
    // Past the 10 s deadline: without lease extension Pub/Sub would redeliver by now.
    await sleep(13_000);
    expect(recorder.received.length).toBe(1);
    expect(source.inFlight).toBe(1);
    held[0]!.ack();
    await source.stop();
  }, 30_000);

  it('hands out one delivery per ordering key and keeps keys independent', async () => {
    const dest = await topicWithSubscription({ ordered: true });
    const sink = new PubSubSink({ connection, topic: dest.topic, orderingKeyAttribute: 'partitionkey' });
    const a = Array.from({ length: 5 }, (_, i) => event(i, { partitionkey: 'a' }));
    const b = Array.from({ length: 5 }, (_, i) => event(i, { partitionkey: 'b' }));
    for (let i = 0; i < 5; i++) await Promise.all([sink.send(a[i]!), sink.send(b[i]!)]);
    await sink.close();
    const outstanding = new Map<string, number>();
    let overlap = false;
    let nackedOnce = false;
    const recorder = new DeliveryRecorder((d) => {
      const key = String(d.event.attributes.partitionkey);
      const n = (outstanding.get(key) ?? 0) + 1;
      if (n > 1) overlap = true;
      outstanding.set(key, n);
      setTimeout(() => {
        outstanding.set(key, (outstanding.get(key) ?? 1) - 1);
        if (!nackedOnce && d.event.attributes.id === a[2]!.attributes.id) {
          nackedOnce = true;
          d.nack(new Error('retry a2'));
        } else d.ack();
      }, 10);
    });
    const source = new PubSubSource({
      connection,
      subscription: dest.subscription,
      ordered: true,
      maxInFlight: 20,
    });
    await source.start(recorder.handler);
    await recorder.waitFor(11);
    await sleep(200);
    await source.stop();
    expect(overlap).toBe(false);
    const ids = (key: string) =>
      recorder.received
        .filter((d) => d.event.attributes.partitionkey === key)
        .map((d) => d.event.attributes.id);
    const aIds = a.map((e) => e.attributes.id);
    expect(ids('a')).toEqual([...aIds.slice(0, 3), ...aIds.slice(2)]);
    expect(ids('b')).toEqual(b.map((e) => e.attributes.id));
  });
});

describe('PubSubChannel', () => {
  it('creates its topic, gives a new subscription only what is published after it, and closes', async () => {
    const topic = uniqueName('broker');
    const warnings: string[] = [];
    const channel = new PubSubChannel({
      connection,
      topic,
      stopGraceMs: 200,
      onWarning: (m) => warnings.push(m),
    });
    cleanups.push(async () => {
      const [subs] = await client.topic(topic).getSubscriptions();
      for (const s of subs) await s.delete();
      await client.topic(topic).delete();
    });
    const early = event(0);
    await channel.publish(early);
    const recorder = new DeliveryRecorder();
    const sub = await channel.subscribe(
      { name: 'default.broker.trigger-a', maxInFlight: 5, startFrom: 'earliest' },
      recorder.handler,
    );
    expect(warnings.join('\n')).toMatch(/startFrom "earliest" is not supported/);
    const late = event(1);
    await channel.publish(late);
    await recorder.waitForIds([String(late.attributes.id)]);
    await sleep(300);
    expect(recorder.ids()).toEqual([late.attributes.id]);
    expect(channel.status().state).toBe('ready');
    expect(sub.backlog()).toBeUndefined();
    const [subs] = await client.topic(topic).getSubscriptions();
    expect(subs.map((s) => s.name)).toEqual([
      `projects/${connection.projectId}/subscriptions/${topic}.default.broker.trigger-a`,
    ]);
    await channel.close();
    expect(channel.status().state).toBe('stopped');
    await expect(channel.publish(event(2))).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
  });

  it('refuses to publish when the topic is missing and createTopic is false', async () => {
    const topic = uniqueName('absent');
    const channel = new PubSubChannel({ connection, topic, createTopic: false });
    const err = await channel.publish(event(1)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'NOT_FOUND' });
    expect((err as Error).message).toContain(topic);
    expect(channel.status().state).toBe('degraded');
    await channel.close();
  });
});
