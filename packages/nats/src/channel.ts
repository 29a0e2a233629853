/**
 * NatsChannel: a Broker's events in JetStream. One stream per Broker (declared if missing,
 * file storage), capturing `<subjectPrefix>.>`; one durable consumer per Trigger, so each Trigger
 * has its own progress and one slow Trigger never holds back another. Events are published on
 * `<subjectPrefix>.events`; `publish` resolves on the PubAck (with `Nats-Msg-Id` from the event's
 * source and id, so a retried publish within the stream's duplicate window is stored once).
 */
import {
  BacklogReader,
  type Channel,
  type ChannelSubscription,
  type ComponentStatus,
  ConfigError,
  type DeliveryHandler,
  type MeshEvent,
  type SubscriptionOptions,
} from '@meshgate/core';
import { type NatsConnection, RetentionPolicy, StorageType } from 'nats';
import { type ContentMode, toNatsMessage } from './binding.js';
import { NatsConnectionKeeper, type NatsServers } from './connection.js';
import { natsError } from './errors.js';
import { JetStreamPublisher } from './jetstream-publisher.js';
import { JetStreamConsumer, jetStreamName } from './jetstream-consumer.js';
import { natsMsgId, toMsgHdrs } from './sink.js';

export interface NatsChannelOptions {
  /** The Broker's name (`<namespace>.<name>`), for logs, status and wrapped events. */
  name: string;
  servers: NatsServers;
  /** The Broker's stream; default derived from `name`. */
  stream?: string;
  /** Subjects of the stream; default the stream name. */
  subjectPrefix?: string;
  /** Stream storage when the channel creates it; default `file`. */
  storage?: 'file' | 'memory';
  /** Stream age limit when the channel creates it (0 = none). */
  maxAgeMs?: number;
  mode?: ContentMode;
  ackWaitMs?: number;
  stopGraceMs?: number;
  /** Lifetime of each JetStream pull request (min 1 s, default 5 s); see README. */
  pullExpiresMs?: number;
  timeoutMs?: number;
}

export class NatsChannel implements Channel {
  readonly kind = 'nats';
  readonly durable = true;
  private readonly keeper: NatsConnectionKeeper;
  private readonly stream: string;
  private readonly subject: string;
  private readonly subscriptions = new Set<JetStreamConsumer>();
  private closed = false;

  constructor(private readonly options: NatsChannelOptions) {
    this.stream = jetStreamName(options.stream ?? `meshgate_${options.name}`);
    if (this.stream === '') {
      throw new ConfigError(`NATS channel ${options.name}: stream name is empty`, [
        { path: 'spec.stream', message: 'a stream name is required' },
      ]);
    }
    const prefix = options.subjectPrefix ?? this.stream;
    this.subject = `${prefix}.events`;
    this.keeper = new NatsConnectionKeeper({
      servers: options.servers,
      label: `NATS channel ${options.name} (stream "${this.stream}")`,
      setup: (nc) => this.ensureStream(nc, prefix),
    });
  }

  /** The stream this channel uses (for tests and the admin API). */
  streamName(): string {
    return this.stream;
  }

  async publish(event: MeshEvent): Promise<void> {
    const timeout = this.options.timeoutMs ?? 10_000;
    const nc = this.keeper.ready() ?? (await this.keeper.connected(timeout));
    const msg = toNatsMessage(event, this.options.mode ?? 'binary');
    try {
      await JetStreamPublisher.of(nc).publish(this.subject, msg.data, {
        headers: toMsgHdrs(msg.headers),
        msgID: natsMsgId(event),
        timeoutMs: timeout,
      });
    } catch (err) {
      throw natsError(`NATS channel ${this.options.name}`, `subject "${this.subject}"`, err);
    }
  }

  async subscribe(options: SubscriptionOptions, handler: DeliveryHandler): Promise<ChannelSubscription> {
    // The stream must exist before a consumer can be added to it.
    await this.keeper.connected(this.options.timeoutMs ?? 10_000);
    const consumer = new JetStreamConsumer({
      label: `NATS channel ${this.options.name} subscription ${options.name}`,
      servers: this.options.servers,
      stream: this.stream,
      durable: jetStreamName(options.name),
      maxInFlight: options.maxInFlight,
      ordered: options.ordered,
      startFrom: options.startFrom ?? 'latest',
      ackWaitMs: this.options.ackWaitMs,
      wrap: { sourceName: this.options.name },
      stopGraceMs: this.options.stopGraceMs,
      pullExpiresMs: this.options.pullExpiresMs,
    });
    await consumer.start(handler);
    this.subscriptions.add(consumer);
    const backlog = new BacklogReader(() => consumer.pending());
    backlog.start();
    return {
      close: async () => {
        backlog.stop();
        this.subscriptions.delete(consumer);
        await consumer.stop();
      },
      backlog: () => backlog.value,
    };
  }

  status(): ComponentStatus {
    return this.closed ? { state: 'stopped' } : this.keeper.status();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    this.subscriptions.clear();
    await this.keeper.close();
  }

  private async ensureStream(nc: NatsConnection, prefix: string): Promise<void> {
    const jsm = await nc.jetstreamManager();
    try {
      await jsm.streams.info(this.stream);
    } catch (err) {
      if (!/stream not found/i.test(String((err as Error).message))) throw err;
      await jsm.streams.add({
        name: this.stream,
        subjects: [`${prefix}.>`],
        retention: RetentionPolicy.Limits,
        storage: this.options.storage === 'memory' ? StorageType.Memory : StorageType.File,
        max_age: (this.options.maxAgeMs ?? 0) * 1_000_000,
      });
    }
  }
}
