// The shared connector conformance suite on the local RabbitMQ: queues as destinations, a
// dead-letter exchange for poison messages, a topic exchange per Broker for the channel.
import amqp, { type ChannelModel } from 'amqplib';
import { beforeAll } from 'vitest';
import {
  type ConnectorFactory,
  describeConnectorConformance,
} from '../../../test/support/connector-conformance.js';
import { services, uniqueName } from '../../../test/support/services.js';
import { RabbitmqChannel, RabbitmqSink, RabbitmqSource } from '../src/index.js';

let admin: ChannelModel;
const queues: string[] = [];
const exchanges: string[] = [];
const dlx = uniqueName('conformance-dlx');
const dlq = uniqueName('conformance-dlq');
const deadLettered = new Map<string, Uint8Array[]>();

beforeAll(async () => {
  admin = await amqp.connect(services.rabbitmqUrl());
  const ch = await admin.createChannel();
  await ch.assertExchange(dlx, 'direct', { durable: false, autoDelete: false });
  await ch.assertQueue(dlq, { durable: false });
  await ch.close();
  exchanges.push(dlx);
  queues.push(dlq);
});

const factory: ConnectorFactory<string> = {
  makeSink: (queue, { mode }) =>
    new RabbitmqSink({
      name: `sink-${queue}`,
      url: services.rabbitmqUrl(),
      exchange: '',
      routingKey: queue,
      mode,
    }),
  makeSource: (queue, { maxInFlight, ordered }) =>
    new RabbitmqSource({
      name: `source-${queue}`,
      url: services.rabbitmqUrl(),
      queue,
      maxInFlight,
      ordered,
      deadLetter: { exchange: dlx },
      stopGraceMs: 200,
    }),
  makeChannel: () => {
    const exchange = uniqueName('conformance-broker');
    exchanges.push(exchange);
    // Trigger queues of the tests expire a minute after their last consumer leaves.
    return new RabbitmqChannel({
      name: `default.${exchange}`,
      url: services.rabbitmqUrl(),
      exchange,
      queueArguments: { 'x-expires': 60_000 },
      stopGraceMs: 200,
    });
  },
  async publishRaw(queue, bytes, headers = {}) {
    const { 'content-type': contentType, ...rest } = headers;
    const ch = await admin.createConfirmChannel();
    ch.sendToQueue(queue, Buffer.from(bytes), { contentType, headers: rest, persistent: true });
    await ch.waitForConfirms();
    await ch.close();
  },
  async createDestination() {
    const queue = uniqueName('conformance');
    const ch = await admin.createChannel();
    await ch.assertQueue(queue, { durable: true });
    await ch.bindQueue(dlq, dlx, queue);
    await ch.close();
    queues.push(queue);
    return queue;
  },
  missingDestination: () => uniqueName('missing-queue'),
  malformed: {
    kind: 'dead-lettered',
    async deadLettered(queue) {
      const ch = await admin.createChannel();
      for (;;) {
        const msg = await ch.get(dlq, { noAck: true });
        if (msg === false) break;
        const list = deadLettered.get(msg.fields.routingKey) ?? [];
        list.push(msg.content);
        deadLettered.set(msg.fields.routingKey, list);
      }
      await ch.close();
      return deadLettered.get(queue) ?? [];
    },
  },
  async cleanup() {
    const ch = await admin.createChannel();
    for (const q of queues) await ch.deleteQueue(q);
    for (const e of exchanges) await ch.deleteExchange(e);
    await ch.close();
    await admin.close();
  },
};

describeConnectorConformance('rabbitmq', factory);
