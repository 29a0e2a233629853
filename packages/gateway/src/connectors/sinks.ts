/**
 * Sinks as Addressables: a KafkaSink (Knative's manifest) or a RabbitmqSink, NatsSink or
 * PubSubSink served at `/<namespace>/<name>`, like Knative's KafkaSink receiver. `accept`
 * resolves only once the middleware acknowledged every event, so the HTTP 202 (and an in-process
 * delivery's success) means the event is durable; a failure maps to 503 when trying again may
 * help and to 400 when it cannot.
 * @see https://knative.dev/docs/eventing/sinks/kafka-sink/
 */
import {
  type ComponentStatus,
  type KafkaSinkResource,
  type Logger,
  type MeshEvent,
  MeshgateError,
  type Sink,
  type SinkResource,
} from '@meshgate/core';
import { KafkaSink, type KafkaClient } from '@meshgate/kafka';
import { NatsSink } from '@meshgate/nats';
import { PubSubSink } from '@meshgate/pubsub';
import { RabbitmqSink } from '@meshgate/rabbitmq';
import type { Addressable } from '../http/addressables.js';
import { type ConnectionClient, clientOfType as expect } from './connections.js';

/** Which client a sink resource needs, resolved by the runtime. */
export interface SinkClients {
  kafkaFor(resource: KafkaSinkResource): KafkaClient;
  connection(namespace: string, name: string, what: string): ConnectionClient;
}

/** The connector Sink for one resource. */
export function createSink(
  resource: KafkaSinkResource | SinkResource,
  clients: SinkClients,
  logger: Logger,
): Sink {
  const ns = resource.metadata.namespace;
  const name = `${ns}/${resource.metadata.name}`;
  switch (resource.kind) {
    case 'KafkaSink':
      return new EnsuredTopicKafkaSink(resource, clients.kafkaFor(resource), logger);
    case 'RabbitmqSink': {
      const s = resource.spec;
      const c = expect(clients.connection(ns, s.connection, `RabbitmqSink ${name}`), 'rabbitmq', name);
      // queueName alone: publish to that queue through the default exchange.
      const byQueue = s.exchangeName === undefined || s.exchangeName === '';
      return new RabbitmqSink({
        name,
        url: c.url,
        exchange: s.exchangeName ?? '',
        ...(byQueue && s.queueName !== undefined
          ? { routingKey: s.queueName }
          : s.routingKey !== undefined && { routingKey: s.routingKey }),
        mode: s.contentMode,
      });
    }
    case 'NatsSink': {
      const s = resource.spec;
      const c = expect(clients.connection(ns, s.connection, `NatsSink ${name}`), 'nats', name);
      return new NatsSink({
        name,
        servers: c.servers,
        subject: s.subject,
        jetstream: s.jetstream,
        mode: s.contentMode,
      });
    }
    case 'PubSubSink': {
      const s = resource.spec;
      const c = expect(clients.connection(ns, s.connection, `PubSubSink ${name}`), 'pubsub', name);
      return new PubSubSink({
        name,
        connection: c.pubsub,
        topic: s.topic,
        mode: s.contentMode,
        ...(s.orderingKeyAttribute && { orderingKeyAttribute: s.orderingKeyAttribute }),
      });
    }
  }
}

/**
 * Knative's KafkaSink creates its topic (`numPartitions`, `replicationFactor`); so does this one,
 * on first use, then hands every send to the connector's KafkaSink (acks=all, idempotent).
 */
class EnsuredTopicKafkaSink implements Sink {
  readonly name: string;
  private readonly inner: KafkaSink;
  private ensured: Promise<void> | undefined;

  constructor(
    private readonly resource: KafkaSinkResource,
    private readonly client: KafkaClient,
    logger: Logger,
  ) {
    this.name = `${resource.metadata.namespace}/${resource.metadata.name}`;
    this.inner = new KafkaSink({
      name: this.name,
      client,
      topic: resource.spec.topic,
      contentMode: resource.spec.contentMode,
      logger,
    });
  }

  async send(event: MeshEvent): Promise<void> {
    this.ensured ??= this.ensureTopic().catch((err: unknown) => {
      this.ensured = undefined;
      throw new MeshgateError(
        'NOT_CONNECTED',
        `KafkaSink ${this.name}: cannot prepare topic ${this.resource.spec.topic}: ${(err as Error).message}`,
        { retriable: true, cause: err },
      );
    });
    await this.ensured;
    await this.inner.send(event);
  }

  private async ensureTopic(): Promise<void> {
    const admin = this.client.admin();
    await admin.connect();
    try {
      const topic = this.resource.spec.topic;
      if ((await admin.listTopics()).includes(topic)) return;
      await admin.createTopics({
        topics: [
          {
            topic,
            numPartitions: this.resource.spec.numPartitions ?? 1,
            replicationFactor: this.resource.spec.replicationFactor ?? -1,
          },
        ],
        waitForLeaders: true,
      });
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  status(): ComponentStatus {
    return this.inner.status();
  }
}

/**
 * The error a sink failure is answered with: the event's own faults keep their status (400,
 * 413, 415); anything retriable becomes a 503, anything else a 400 (trying again cannot help).
 */
export function sinkFailure(err: unknown, sink: string): MeshgateError {
  if (err instanceof MeshgateError) {
    if (['EVENT_INVALID', 'PAYLOAD_TOO_LARGE', 'BINDING_UNSUPPORTED', 'OVERLOADED'].includes(err.code))
      return err;
    if (err.retriable || err.code === 'NOT_CONNECTED') {
      return new MeshgateError('NOT_CONNECTED', `sink ${sink}: ${err.message}`, {
        retriable: true,
        cause: err,
      });
    }
    return new MeshgateError('EVENT_INVALID', `sink ${sink}: ${err.message}`, { cause: err });
  }
  // An unexpected error from a client library: assume the middleware, not the event, is at fault.
  const message = err instanceof Error ? err.message : String(err);
  return new MeshgateError('NOT_CONNECTED', `sink ${sink}: ${message}`, { retriable: true, cause: err });
}

/** Counters of one served sink, for the admin API. */
export interface SinkCounters {
  accepted: number;
  failed: number;
}

/** A Sink served at `/<namespace>/<name>`. */
export class SinkAddressable implements Addressable {
  readonly kind = 'sink' as const;
  readonly counters: SinkCounters = { accepted: 0, failed: 0 };
  lastError: string | undefined;

  constructor(
    readonly key: string,
    readonly resourceKind: string,
    readonly sink: Sink,
    readonly maxBodyBytes: number,
    readonly fingerprint: string,
    private readonly logger: Logger,
  ) {}

  async accept(events: readonly MeshEvent[]): Promise<void> {
    try {
      await Promise.all(events.map((e) => this.sink.send(e)));
      this.counters.accepted += events.length;
    } catch (err) {
      this.counters.failed += events.length;
      const failure = sinkFailure(err, this.key);
      this.lastError = failure.message;
      this.logger.warn({ sink: this.key, code: failure.code, err: failure.message }, 'sink refused events');
      throw failure;
    }
  }

  reject(reason: string): void {
    this.counters.failed++;
    this.lastError = reason;
  }
}
