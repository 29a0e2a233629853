/**
 * The connector Source for each source kind: Knative's KafkaSource (inline cluster) and meshgate's
 * RabbitmqSource, NatsSource (JetStream, or a core subject: at most once) and PubSubSource.
 */
import {
  type BridgeResource,
  ConfigError,
  type KafkaSourceResource,
  type Logger,
  parseIsoDuration,
  type Source,
  type SourceResource,
} from '@meshgate/core';
import { type KafkaClient, KafkaSource } from '@meshgate/kafka';
import { NatsSource, NatsSubjectSource } from '@meshgate/nats';
import { PubSubSource } from '@meshgate/pubsub';
import { RabbitmqSource } from '@meshgate/rabbitmq';
import { type ConnectionClient, clientOfType as connectionOf } from './connections.js';
import { HttpBridgeSource } from './http-bridge-source.js';

export interface SourceClients {
  kafkaFor(resource: KafkaSourceResource): KafkaClient;
  connection(namespace: string, name: string, what: string): ConnectionClient;
}

export function createSource(
  resource: KafkaSourceResource | SourceResource,
  clients: SourceClients,
  logger: Logger,
): Source {
  const namespace = resource.metadata.namespace;
  const name = resource.metadata.name;
  const what = `${resource.kind} ${namespace}/${name}`;
  switch (resource.kind) {
    case 'KafkaSource': {
      const s = resource.spec;
      return new KafkaSource({
        name,
        namespace,
        client: clients.kafkaFor(resource),
        topics: s.topics,
        groupId: s.consumerGroup,
        initialOffset: s.initialOffset,
        ordered: s.ordering === 'ordered',
        maxInFlight: resource.settings.maxInFlight,
        logger,
      });
    }
    case 'RabbitmqSource': {
      const s = resource.spec;
      const r = s.rabbitmqResourcesConfig;
      const c = connectionOf(clients.connection(namespace, s.connection, what), 'rabbitmq', what);
      let url = c.url;
      if (r.vhost !== undefined) {
        const u = new URL(url);
        u.pathname = `/${encodeURIComponent(r.vhost)}`;
        url = u.toString();
      }
      return new RabbitmqSource({
        name,
        namespace,
        url,
        queue: r.queueName,
        maxInFlight: r.parallelism,
        // eventing-rabbitmq: parallelism 1 keeps the queue's order.
        ordered: r.parallelism === 1,
        ...(r.deadLetterExchange !== undefined && { deadLetter: { exchange: r.deadLetterExchange } }),
        ...(!r.predeclared && {
          declare: {
            ...(r.exchangeName !== undefined && { exchange: r.exchangeName }),
            ...(r.routingKey !== undefined && { routingKey: r.routingKey }),
          },
        }),
      });
    }
    case 'NatsSource': {
      const s = resource.spec;
      const c = connectionOf(clients.connection(namespace, s.connection, what), 'nats', what);
      if (s.jetstream) {
        const js = s.jetstream;
        return new NatsSource({
          name,
          namespace,
          servers: c.servers,
          stream: js.stream,
          consumer: js.consumer,
          ...(js.filterSubject !== undefined && { filterSubject: js.filterSubject }),
          maxInFlight: resource.settings.maxInFlight,
          startFrom: js.deliverPolicy === 'all' ? 'earliest' : 'latest',
          ...(js.ackWait !== undefined && { ackWaitMs: parseIsoDuration(js.ackWait) }),
          ...(js.maxDeliver !== undefined && { maxDeliveries: js.maxDeliver }),
        });
      }
      return new NatsSubjectSource({
        name,
        namespace,
        servers: c.servers,
        subject: s.subject as string,
        ...(s.queueGroup !== undefined && { queueGroup: s.queueGroup }),
        maxInFlight: resource.settings.maxInFlight,
      });
    }
    case 'PubSubSource': {
      const s = resource.spec;
      const c = connectionOf(clients.connection(namespace, s.connection, what), 'pubsub', what);
      return new PubSubSource({
        name: `${namespace}/${name}`,
        connection: c.pubsub,
        subscription: s.subscription,
        ...(s.topic !== undefined && { topic: s.topic }),
        ordered: s.ordering,
        ...(s.ackDeadlineSeconds !== undefined && { ackDeadlineSeconds: s.ackDeadlineSeconds }),
        maxInFlight: resource.settings.maxInFlight,
        onWarning: (message, err) => logger.warn({ source: what, err }, message),
      });
    }
  }
}

/**
 * The Source of a Bridge: a Kafka topic, a RabbitMQ queue, a NATS subject or JetStream stream, or a
 * Pub/Sub subscription, each on a Connection; or CloudEvents posted to the Bridge's own path.
 */
export function createBridgeSource(
  bridge: BridgeResource,
  clients: SourceClients,
  logger: Logger,
  http: { maxBodyBytes: number },
): Source {
  const namespace = bridge.metadata.namespace;
  const name = bridge.metadata.name;
  const what = `Bridge ${namespace}/${name}`;
  const src = bridge.spec.source;
  if (src.kafka) {
    const c = connectionOf(clients.connection(namespace, src.kafka.connection, what), 'kafka', what);
    return new KafkaSource({
      name,
      namespace,
      client: c.kafka,
      topics: src.kafka.topics,
      groupId: src.kafka.consumerGroup ?? `meshgate-bridge-${namespace}-${name}`,
      initialOffset: src.kafka.initialOffset,
      ordered: src.kafka.ordering === 'ordered',
      logger,
    });
  }
  if (src.rabbitmq) {
    const c = connectionOf(clients.connection(namespace, src.rabbitmq.connection, what), 'rabbitmq', what);
    return new RabbitmqSource({
      name,
      namespace,
      url: c.url,
      queue: src.rabbitmq.queueName,
      maxInFlight: src.rabbitmq.parallelism,
      ordered: src.rabbitmq.parallelism === 1,
      ...(!src.rabbitmq.predeclared && {
        declare: { ...(src.rabbitmq.exchangeName !== undefined && { exchange: src.rabbitmq.exchangeName }) },
      }),
    });
  }
  if (src.nats) {
    const c = connectionOf(clients.connection(namespace, src.nats.connection, what), 'nats', what);
    const js = src.nats.jetstream;
    if (js) {
      return new NatsSource({
        name,
        namespace,
        servers: c.servers,
        stream: js.stream,
        consumer: js.consumer,
        ...(js.filterSubject !== undefined && { filterSubject: js.filterSubject }),
        startFrom: js.deliverPolicy === 'all' ? 'earliest' : 'latest',
        ...(js.ackWait !== undefined && { ackWaitMs: parseIsoDuration(js.ackWait) }),
        ...(js.maxDeliver !== undefined && { maxDeliveries: js.maxDeliver }),
      });
    }
    return new NatsSubjectSource({
      name,
      namespace,
      servers: c.servers,
      subject: src.nats.subject as string,
    });
  }
  if (src.pubsub) {
    const c = connectionOf(clients.connection(namespace, src.pubsub.connection, what), 'pubsub', what);
    return new PubSubSource({
      name: `${namespace}/${name}`,
      connection: c.pubsub,
      subscription: src.pubsub.subscription,
      ...(src.pubsub.topic !== undefined && { topic: src.pubsub.topic }),
      onWarning: (message, err) => logger.warn({ source: what, err }, message),
    });
  }
  if (src.http) {
    return new HttpBridgeSource({
      key: `${namespace}/${name}`,
      path: bridgeHttpPath(bridge),
      maxBodyBytes: http.maxBodyBytes,
    });
  }
  throw new ConfigError(`${what}: spec.source names no source`, [
    { path: 'spec.source', message: 'expected one of kafka, rabbitmq, nats, pubsub, http' },
  ]);
}

/** Where a Bridge's HTTP source is served: `spec.source.http.path`, or `/bridges/<ns>/<name>`. */
export function bridgeHttpPath(bridge: BridgeResource): string {
  return bridge.spec.source.http?.path ?? `/bridges/${bridge.metadata.namespace}/${bridge.metadata.name}`;
}
