// The Kafka connector on the SASL listener of the test broker (scripts/services.sh: 9094):
// every mechanism carries events, and refused credentials degrade a channel instead of failing it.
import type { Delivery } from '@meshgate/core';
import { makeEvent } from '@meshgate/core';
import type { SASLOptions } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../../../test/support/connector-conformance.js';
import { services, uniqueName } from '../../../test/support/services.js';
import { KafkaChannel } from '../src/channel.js';
import { createKafkaClient } from '../src/client.js';
import { deleteTopics } from './helpers.js';

const sasl = services.kafkaSasl();
const topics: string[] = [];
afterAll(async () => {
  await deleteTopics(topics);
});

const event = (id: string) =>
  makeEvent({ specversion: '1.0', id, source: '/sasl-test', type: 'test.sasl' }, '{"ok":true}');

describe('Kafka SASL', () => {
  for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
    it(`${mechanism}: a channel publishes and its subscription reads back`, async () => {
      const topic = uniqueName(`sasl-${mechanism}`);
      topics.push(topic);
      const client = createKafkaClient({
        brokers: sasl.brokers,
        clientId: 'sasl-test',
        sasl: { mechanism, username: sasl.user, password: sasl.password } as SASLOptions,
      });
      const channel = new KafkaChannel({
        name: `sasl/${mechanism}`,
        client,
        topic,
        groupPrefix: uniqueName('mg'),
      });
      try {
        const got: Delivery[] = [];
        await channel.subscribe({ name: 'reader', maxInFlight: 10 }, (d) => {
          got.push(d);
          d.ack();
        });
        await channel.publish(event(`${mechanism}-1`));
        await waitUntil('the event read back', () => got.length === 1);
        expect(got[0]?.event.attributes.id).toBe(`${mechanism}-1`);
        expect(channel.status().state).toBe('ready');
      } finally {
        await channel.close();
      }
    });
  }

  it('refused credentials: subscribe still resolves, the channel is degraded naming the cluster, publish says why', async () => {
    const client = createKafkaClient({
      brokers: sasl.brokers,
      clientId: 'sasl-test',
      label: 'connection test/kafka-wrong',
      sasl: { mechanism: 'scram-sha-512', username: sasl.user, password: 'not-the-password' },
    });
    const channel = new KafkaChannel({ name: 'sasl/wrong', client, topic: uniqueName('sasl-wrong') });
    try {
      await channel.subscribe({ name: 'reader', maxInFlight: 10 }, (d) => d.ack());
      const status = channel.status();
      expect(status.state).toBe('degraded');
      expect(status.reason).toMatch(
        /^KafkaChannel 'sasl\/wrong' on connection test\/kafka-wrong preparing topic .*: Kafka refused the credentials \(SASL SCRAM SHA512/,
      );
      await expect(channel.publish(event('wrong-1'))).rejects.toThrow(/Kafka refused the credentials/);
    } finally {
      await channel.close();
    }
    expect(channel.status().state).toBe('stopped');
  });
});
