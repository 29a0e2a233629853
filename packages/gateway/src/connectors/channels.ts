/**
 * Channels for Brokers whose `spec.config` names a meshgate Connection: a Kafka topic, a RabbitMQ
 * exchange, a JetStream stream or a Pub/Sub topic per Broker, named from the Broker unless
 * `meshgate.io/channel-topic` says otherwise. Each Trigger gets its own consumer group, queue,
 * durable consumer or subscription (its own progress).
 */
import { type BrokerDefinition, type Channel, ConfigError, type Logger } from '@meshgate/core';
import { KafkaChannel } from '@meshgate/kafka';
import { jetStreamName, NatsChannel } from '@meshgate/nats';
import { PubSubChannel } from '@meshgate/pubsub';
import { RabbitmqChannel } from '@meshgate/rabbitmq';
import type { ConnectionClient } from './connections.js';

/** The default name of a Broker's topic/exchange/stream: one per Broker, readable in the middleware. */
export function defaultChannelName(type: ConnectionClient['type'], namespace: string, name: string): string {
  switch (type) {
    case 'kafka':
      // Knative's Kafka broker names its topics the same way.
      return `knative-broker-${namespace}-${name}`;
    case 'nats':
      return jetStreamName(`meshgate_${namespace}_${name}`);
    default:
      return `meshgate.${namespace}.${name}`;
  }
}

export function createChannel(
  definition: BrokerDefinition,
  client: ConnectionClient,
  logger: Logger,
): Channel {
  const { namespace, name } = definition;
  const key = `${namespace}/${name}`;
  const topic = definition.channel.topic;
  if (topic !== undefined && typeof topic !== 'string') {
    throw new ConfigError(`broker ${key}: channel topic must be a string`);
  }
  const target = topic ?? defaultChannelName(client.type, namespace, name);
  switch (client.type) {
    case 'kafka':
      // Trigger groups: `meshgate.<namespace>.<broker>.<trigger>`.
      return new KafkaChannel({ name: key, client: client.kafka, topic: target, logger });
    case 'rabbitmq':
      return new RabbitmqChannel({ name: `${namespace}.${name}`, url: client.url, exchange: target });
    case 'nats':
      return new NatsChannel({ name: `${namespace}.${name}`, servers: client.servers, stream: target });
    case 'pubsub':
      return new PubSubChannel({
        connection: client.pubsub,
        topic: target,
        onWarning: (message, err) => logger.warn({ broker: key, err }, message),
      });
  }
}
