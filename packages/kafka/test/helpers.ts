/** Shared helpers of the Kafka integration tests: topics via the admin client, raw records. */
import { Kafka, logLevel } from 'kafkajs';
import { services, uniqueName } from '../../../test/support/services.js';
import { createKafkaClient, type KafkaClient } from '../src/client.js';

export function testClient(clientId = 'meshgate-kafka-test'): KafkaClient {
  return createKafkaClient({ brokers: services.kafkaBrokers(), clientId });
}

/** A raw kafkajs client, as a foreign producer or an auditor would use. */
export function rawKafka(): Kafka {
  return new Kafka({ clientId: 'raw', brokers: services.kafkaBrokers(), logLevel: logLevel.NOTHING });
}

/** Creates a fresh topic with the admin client and returns its name. */
export async function createTopic(prefix: string, numPartitions = 1): Promise<string> {
  const topic = uniqueName(prefix);
  const admin = rawKafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  return topic;
}

/** Deletes topics (best effort; the broker allows it in tests). */
export async function deleteTopics(topics: string[]): Promise<void> {
  if (topics.length === 0) return;
  const admin = rawKafka().admin();
  await admin.connect();
  await admin.deleteTopics({ topics }).catch(() => {});
  await admin.disconnect();
}

/** Writes plain records (value strings) with a raw producer. */
export async function produceRaw(
  topic: string,
  records: Array<{
    value: Buffer | string | null;
    key?: string;
    headers?: Record<string, string>;
    partition?: number;
  }>,
): Promise<void> {
  const producer = rawKafka().producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < records.length; i += 500) {
      await producer.send({ topic, acks: -1, messages: records.slice(i, i + 500) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** The group's committed offsets of a topic, by partition (-1 when none). */
export async function committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
  const admin = rawKafka().admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((entry?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

/** Reads every record of a topic from the beginning until `count` were read. */
export async function readAll(topic: string, count: number, timeoutMs = 20_000) {
  const consumer = rawKafka().consumer({ groupId: uniqueName('reader') });
  const out: Array<{ key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer> }> = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${out.length} of ${count} records`)), timeoutMs);
      void consumer.run({
        eachMessage: async ({ message }) => {
          out.push({
            key: message.key,
            value: message.value,
            headers: message.headers as Record<string, Buffer>,
          });
          if (out.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}
