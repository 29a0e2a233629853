/**
 * PubSubChannel: a Broker's events in one Pub/Sub topic, one subscription per Trigger.
 *
 * - `publish` resolves with Pub/Sub's acceptance (a message id), so ingress can answer 202.
 * - Each Trigger gets its own subscription (`<prefix><trigger name>`), created on first
 *   subscribe and reused afterwards, so its progress survives restarts and is independent of
 *   every other Trigger. A new subscription starts from "now": Pub/Sub gives it only messages
 *   published after it was created.
 * - Events with a `partitionkey` are published with it as the ordering key; an `ordered` Trigger's
 *   subscription is created with message ordering, and its deliveries go one per key at a time.
 *
 * @see https://cloud.google.com/pubsub/docs/subscriber#subscription-workflow
 */
import {
  type Channel,
  type ChannelSubscription,
  type ComponentStatus,
  type DeliveryHandler,
  type MeshEvent,
  MeshgateError,
  type SubscriptionOptions,
} from '@meshgate/core';
import type { PubSubContentMode } from './binding.js';
import type { PubSubConnection } from './client.js';
import { type SubscriptionSettings, ensureSubscription, ensureTopic } from './admin.js';
import type { ForeignMessageStyle } from './foreign.js';
import { checkResourceName, fullName, shortName, toResourceId } from './names.js';
import { PubSubSink } from './sink.js';
import { PubSubSource } from './source.js';

export interface PubSubChannelOptions {
  connection: PubSubConnection;
  /** The Broker's topic: a short name or `projects/<p>/topics/<t>`. */
  topic: string;
  /** Create the topic when it does not exist. Default true. */
  createTopic?: boolean;
  /** Prefix of the per-Trigger subscription ids. Default `<topic id>.`. */
  subscriptionPrefix?: string;
  /** Content mode of published events. Default `binary`. */
  mode?: PubSubContentMode;
  /** Ack deadline of created subscriptions, in seconds (10-600). Default 60. */
  ackDeadlineSeconds?: number;
  /**
   * Pub/Sub's own backoff between redeliveries of a nacked message, for created subscriptions.
   * Default: none (redeliver at once; delays come from the nack's `delayMs`).
   */
  retryPolicy?: { minimumBackoffSeconds: number; maximumBackoffSeconds: number };
  /** Pub/Sub dead-letter policy of created subscriptions (see SubscriptionSettings). Default: none. */
  deadLetter?: SubscriptionSettings['deadLetter'];
  /** How un-decodable messages are wrapped. Default `raw`. */
  foreign?: ForeignMessageStyle;
  /** How long closing a subscription waits for outstanding deliveries. Default 5000 ms. */
  stopGraceMs?: number;
  onWarning?: (message: string, err?: unknown) => void;
}

/** A durable Broker channel on Pub/Sub. */
export class PubSubChannel implements Channel {
  readonly kind = 'pubsub';
  readonly durable = true;
  readonly topicName: string;
  private readonly options: PubSubChannelOptions;
  private readonly sink: PubSubSink;
  private readonly sources = new Set<PubSubSource>();
  private topicReady: Promise<void> | undefined;
  private closed = false;
  private lastError: string | undefined;

  constructor(options: PubSubChannelOptions) {
    checkResourceName('topics', options.topic, 'topic');
    const deadline = options.ackDeadlineSeconds ?? 60;
    if (!Number.isInteger(deadline) || deadline < 10 || deadline > 600) {
      throw new MeshgateError(
        'CONFIG_INVALID',
        `ackDeadlineSeconds must be an integer from 10 to 600, got ${deadline}`,
      );
    }
    this.options = options;
    this.topicName = fullName(options.connection.projectId, 'topics', options.topic);
    this.sink = new PubSubSink({
      connection: options.connection,
      topic: this.topicName,
      mode: options.mode ?? 'binary',
      orderingKeyAttribute: 'partitionkey',
      name: `pubsub-channel:${shortName(this.topicName)}`,
    });
  }

  async publish(event: MeshEvent): Promise<void> {
    this.checkOpen();
    await this.ensureTopic();
    await this.sink.send(event);
  }

  async subscribe(options: SubscriptionOptions, handler: DeliveryHandler): Promise<ChannelSubscription> {
    this.checkOpen();
    await this.ensureTopic();
    const id = toResourceId(
      `${this.options.subscriptionPrefix ?? `${shortName(this.topicName)}.`}${options.name}`,
    );
    const name = fullName(this.options.connection.projectId, 'subscriptions', id);
    if (options.startFrom === 'earliest') {
      // Said, not silently ignored: replaying a topic needs retention and a seek, not done here.
      this.options.onWarning?.(
        `Pub/Sub channel on ${this.topicName}: startFrom "earliest" is not supported for "${options.name}"; its subscription gets what is published after it was created`,
      );
    }
    await ensureSubscription(this.options.connection, this.topicName, name, {
      ordered: options.ordered === true,
      ackDeadlineSeconds: this.options.ackDeadlineSeconds ?? 60,
      ...(this.options.retryPolicy !== undefined ? { retryPolicy: this.options.retryPolicy } : {}),
      ...(this.options.deadLetter !== undefined ? { deadLetter: this.options.deadLetter } : {}),
    });
    const source = new PubSubSource({
      name: `pubsub-channel:${options.name}`,
      connection: this.options.connection,
      subscription: name,
      maxInFlight: options.maxInFlight,
      ordered: options.ordered === true,
      foreign: this.options.foreign ?? 'raw',
      stopGraceMs: this.options.stopGraceMs ?? 5000,
      ...(this.options.onWarning ? { onWarning: this.options.onWarning } : {}),
    });
    await source.start(handler);
    this.sources.add(source);
    return {
      close: async () => {
        this.sources.delete(source);
        await source.stop();
      },
      // Pub/Sub tells a subscription's backlog only through Cloud Monitoring.
      backlog: () => undefined,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const sources = [...this.sources];
    this.sources.clear();
    await Promise.all(sources.map((s) => s.stop()));
    await this.sink.close();
  }

  status(): ComponentStatus {
    if (this.closed) return { state: 'stopped' };
    if (this.lastError !== undefined) return { state: 'degraded', reason: this.lastError };
    const sink = this.sink.status();
    if (sink.state !== 'ready') return sink;
    for (const source of this.sources) {
      const s = source.status();
      if (s.state !== 'ready') return { state: 'degraded', reason: `${source.name}: ${s.reason ?? s.state}` };
    }
    return { state: 'ready' };
  }

  private checkOpen(): void {
    if (this.closed)
      throw new MeshgateError('NOT_CONNECTED', `Pub/Sub channel on ${this.topicName} is closed`);
  }

  /** Makes sure the topic exists (once; a failure is retried on the next call). */
  private ensureTopic(): Promise<void> {
    this.topicReady ??= ensureTopic(
      this.options.connection,
      this.topicName,
      this.options.createTopic ?? true,
    ).then(
      () => {
        this.lastError = undefined;
      },
      (err: unknown) => {
        this.topicReady = undefined;
        this.lastError = err instanceof Error ? err.message : String(err);
        throw err;
      },
    );
    return this.topicReady;
  }
}
