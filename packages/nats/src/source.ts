/**
 * NatsSource: JetStream (at least once, through a durable consumer) or a core NATS subject
 * (at most once). See jetstream-consumer.ts for the JetStream delivery semantics.
 */
import type { ComponentStatus, DeliveryHandler, Source } from '@meshgate/core';
import { BacklogReader, ConfigError } from '@meshgate/core';
import type { NatsServers } from './connection.js';
import { JetStreamConsumer, jetStreamName } from './jetstream-consumer.js';

export interface NatsJetStreamSourceOptions {
  /** Component name (the NatsSource's metadata.name), for logs, status and wrapped events. */
  name: string;
  namespace?: string;
  servers: NatsServers;
  stream: string;
  /** Durable consumer name; default `meshgate-<name>`. Replicas with the same name share the work. */
  consumer?: string;
  filterSubject?: string;
  /** Un-acked messages at once (`max_ack_pending`); default 100. */
  maxInFlight?: number;
  ordered?: boolean;
  /** Where a new durable consumer starts; default `earliest` (the whole stream). */
  startFrom?: 'earliest' | 'latest';
  ackWaitMs?: number;
  maxDeliveries?: number;
  deadLetterSubject?: string;
  stopGraceMs?: number;
  /** Lifetime of each JetStream pull request (min 1 s, default 5 s); see README. */
  pullExpiresMs?: number;
}

/** Reads a JetStream stream through a durable consumer, at least once. */
export class NatsSource implements Source {
  readonly name: string;
  private readonly consumer: JetStreamConsumer;
  private readonly backlogReader = new BacklogReader(() => this.consumer.pending());

  constructor(options: NatsJetStreamSourceOptions) {
    if (options.stream === '') {
      throw new ConfigError(`NatsSource ${options.name}: stream is empty`, [
        { path: 'spec.stream', message: 'a stream name is required' },
      ]);
    }
    if (
      options.maxDeliveries !== undefined &&
      (!Number.isInteger(options.maxDeliveries) || options.maxDeliveries < 1)
    ) {
      throw new ConfigError(`NatsSource ${options.name}: maxDeliveries must be a positive integer`, [
        { path: 'spec.maxDeliveries', message: `got ${options.maxDeliveries}` },
      ]);
    }
    this.name = options.name;
    this.consumer = new JetStreamConsumer({
      label: `NatsSource ${options.name}`,
      servers: options.servers,
      stream: options.stream,
      durable: jetStreamName(options.consumer ?? `meshgate-${options.name}`),
      filterSubject: options.filterSubject,
      maxInFlight: options.maxInFlight ?? 100,
      ordered: options.ordered,
      startFrom: options.startFrom ?? 'earliest',
      ackWaitMs: options.ackWaitMs,
      maxDeliveries: options.maxDeliveries,
      deadLetterSubject: options.deadLetterSubject,
      wrap: { sourceName: options.name, namespace: options.namespace },
      stopGraceMs: options.stopGraceMs,
      pullExpiresMs: options.pullExpiresMs,
    });
  }

  async start(handler: DeliveryHandler): Promise<void> {
    await this.consumer.start(handler);
    this.backlogReader.start();
  }

  stop(): Promise<void> {
    this.backlogReader.stop();
    return this.consumer.stop();
  }

  status(): ComponentStatus {
    return this.consumer.status();
  }

  /** The durable consumer's pending plus un-acked messages, as of the last reading (every 5 s). */
  backlog(): number | undefined {
    return this.backlogReader.value;
  }
}
