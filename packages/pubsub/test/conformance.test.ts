// The shared connector conformance suite, run against the Pub/Sub emulator.
import type { PubSub } from '@google-cloud/pubsub';
import { describeConnectorConformance } from '../../../test/support/connector-conformance.js';
import { services, uniqueName } from '../../../test/support/services.js';
import { PubSubChannel, PubSubSink, PubSubSource, createPubSubConnection } from '../src/index.js';

interface Destination {
  topic: string;
  subscription: string;
}

const connection = createPubSubConnection({
  name: 'conformance',
  projectId: services.pubsubProjectId(),
  emulatorHost: services.pubsubEmulatorHost(),
});
const client: PubSub = connection.client;
const created: Destination[] = [];
const channels: string[] = [];

describeConnectorConformance<Destination>('pubsub', {
  async createDestination() {
    const dest = { topic: uniqueName('conf'), subscription: uniqueName('conf-sub') };
    const [topic] = await client.createTopic(dest.topic);
    // Ordering enabled, so that the ordered case can hold Pub/Sub to its promise.
    await topic.createSubscription(dest.subscription, {
      enableMessageOrdering: true,
      ackDeadlineSeconds: 10,
    });
    created.push(dest);
    return dest;
  },
  missingDestination: () => ({ topic: uniqueName('missing'), subscription: uniqueName('missing-sub') }),
  nameOf: (dest) => dest.topic,
  makeSink: (dest, { mode }) =>
    // One ordering key for every event: the ordered case expects publish order across the topic.
    new PubSubSink({ connection, topic: dest.topic, mode, defaultOrderingKey: 'conformance' }),
  makeSource: (dest, { maxInFlight, ordered }) =>
    new PubSubSource({
      connection,
      subscription: dest.subscription,
      maxInFlight,
      ordered: ordered ?? false,
      stopGraceMs: 200,
    }),
  makeChannel: () => {
    const topic = uniqueName('broker');
    channels.push(topic);
    return new PubSubChannel({ connection, topic, stopGraceMs: 200 });
  },
  async publishRaw(dest, bytes, headers = {}) {
    await client.topic(dest.topic).publishMessage({ data: Buffer.from(bytes), attributes: headers });
  },
  malformed: { kind: 'wrapped' },
  async cleanup() {
    for (const dest of created) {
      await client
        .subscription(dest.subscription)
        .delete()
        .catch(() => {});
      await client
        .topic(dest.topic)
        .delete()
        .catch(() => {});
    }
    for (const topic of channels) {
      const [subs] = await client
        .topic(topic)
        .getSubscriptions()
        .catch(() => [[]] as const);
      for (const sub of subs) await sub.delete().catch(() => {});
      await client
        .topic(topic)
        .delete()
        .catch(() => {});
    }
    await connection.close();
  },
});
