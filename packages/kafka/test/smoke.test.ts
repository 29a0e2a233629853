// Proves the local Kafka 4.x broker works with kafkajs: produce with headers, consume, commit.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { services, uniqueName } from '../../../test/support/services.js';

describe('kafka smoke (real broker)', () => {
  const kafka = new Kafka({
    clientId: 'smoke',
    brokers: services.kafkaBrokers(),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const topic = uniqueName('smoke');
  const consumer = kafka.consumer({ groupId: uniqueName('smoke-group') });

  afterAll(async () => {
    await Promise.allSettled([consumer.disconnect(), producer.disconnect(), admin.disconnect()]);
  });

  it('round-trips a record with headers through a topic', async () => {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    await producer.connect();
    const [meta] = await producer.send({
      topic,
      acks: -1,
      messages: [{ key: 'k1', value: 'hello', headers: { ce_id: '1', ce_type: 'smoke.test' } }],
    });
    expect(meta?.errorCode).toBe(0);

    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<{ key: string; value: string; type: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no record consumed within 20 s')), 20_000);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            clearTimeout(timer);
            resolve({
              key: message.key?.toString() ?? '',
              value: message.value?.toString() ?? '',
              type: message.headers?.ce_type?.toString() ?? '',
            });
          },
        })
        .catch(reject);
    });
    expect(received).toEqual({ key: 'k1', value: 'hello', type: 'smoke.test' });
  });
});
