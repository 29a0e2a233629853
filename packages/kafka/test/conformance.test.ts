// The shared connector conformance suite, run against the Kafka connector on the real broker.
import { describeConnectorConformance } from '../../../test/support/connector-conformance.js';
import { uniqueName } from '../../../test/support/services.js';
import { KafkaChannel } from '../src/channel.js';
import { KafkaSink } from '../src/sink.js';
import { KafkaSource } from '../src/source.js';
import { createTopic, deleteTopics, produceRaw, testClient } from './helpers.js';

const client = testClient('conformance');
const topics: string[] = [];

describeConnectorConformance<string>('kafka', {
  makeSink: (topic, { mode }) => new KafkaSink({ name: 'conformance', client, topic, contentMode: mode }),
  makeSource: (topic, { maxInFlight, ordered }) =>
    new KafkaSource({
      name: 'conformance',
      client,
      topics: [topic],
      // Two sources for one topic share progress: they are "the same source after a restart".
      groupId: `conformance.${topic}`,
      initialOffset: 'earliest',
      ordered: ordered ?? false,
      maxInFlight,
      maxInFlightTotal: maxInFlight,
      commitIntervalMs: 100,
      stopGraceMs: 200,
    }),
  makeChannel: () => {
    const topic = uniqueName('channel');
    topics.push(topic);
    return new KafkaChannel({ name: 'conformance', client, topic, groupPrefix: uniqueName('mg') });
  },
  publishRaw: (topic, bytes, headers) => produceRaw(topic, [{ value: Buffer.from(bytes), headers }]),
  createDestination: async () => {
    const topic = await createTopic('conf');
    topics.push(topic);
    return topic;
  },
  missingDestination: () => uniqueName('missing-topic'),
  malformed: { kind: 'wrapped' },
  cleanup: () => deleteTopics(topics),
});
