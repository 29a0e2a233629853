/**
 * KafkaChannel: a Broker's events kept in one Kafka topic. `publish` resolves after acks=all;
 * each Trigger subscribes with its own consumer group (`<groupPrefix>.<subscription name>`), so
 * every Trigger has its own progress and one slow Trigger never holds back another. A new
 * subscription starts "now" (latest) unless it asks for `earliest`.
 */
import type {
  Channel,
  ChannelSubscription,
  ComponentStatus,
  DeliveryHandler,
  MeshEvent,
  SubscriptionOptions,
} from '@meshgate/core';
import type { ContentMode } from './binding.js';
import { type ConnectorLogger, type KafkaClient, silentConnectorLogger } from './client.js';
import { toKafkaError } from './errors.js';
import { KafkaSink } from './sink.js';
import { KafkaSource } from './source.js';

export interface KafkaChannelOptions {
  /** Names the channel in logs (e.g. `<namespace>/<broker>`). */
  name: string;
  client: KafkaClient;
  topic: string;
  /** Consumer groups are `<groupPrefix>.<subscription name>`. Default `meshgate`. */
  groupPrefix?: string;
  /**
   * Create the topic when it is missing (explicitly, with the admin client; broker-side
   * auto-creation is never relied on). Default: 1 partition, the broker's default replication.
   * `false` requires an existing topic.
   */
  createTopic?: false | { numPartitions?: number; replicationFactor?: number };
  /** Default binary. */
  contentMode?: ContentMode;
  /** Key records by `partitionkey` so that one key keeps its order. Default true. */
  keyFromPartitionKey?: boolean;
  logger?: ConnectorLogger;
}

export class KafkaChannel implements Channel {
  readonly kind = 'kafka';
  readonly durable = true;
  private readonly options: KafkaChannelOptions;
  private readonly logger: ConnectorLogger;
  private readonly sink: KafkaSink;
  private readonly subscriptions = new Set<KafkaSource>();
  /** Subscriptions waiting for their topic to be checkable, with the reason (by subscription name). */
  private readonly waiting = new Map<string, string>();
  /** Their retry timers, cleared on close. */
  private readonly retries = new Set<NodeJS.Timeout>();
  private ensured: Promise<void> | undefined;
  private closed = false;

  constructor(options: KafkaChannelOptions) {
    this.options = options;
    this.logger = options.logger ?? silentConnectorLogger;
    this.sink = new KafkaSink({
      name: `channel:${options.name}`,
      client: options.client,
      topic: options.topic,
      contentMode: options.contentMode ?? 'binary',
      keyFromPartitionKey: options.keyFromPartitionKey ?? true,
      logger: this.logger,
    });
  }

  /** Makes sure the topic exists (creating it when allowed). */
  private ensureTopic(): Promise<void> {
    this.ensured ??= this.createTopicIfMissing().catch((err) => {
      this.ensured = undefined;
      throw toKafkaError(
        err,
        `KafkaChannel '${this.options.name}' on ${this.options.client.label} preparing topic '${this.options.topic}'`,
      );
    });
    return this.ensured;
  }

  private async createTopicIfMissing(): Promise<void> {
    const create = this.options.createTopic ?? {};
    if (create === false) return;
    const admin = this.options.client.admin();
    await admin.connect();
    try {
      const existing = await admin.listTopics();
      if (existing.includes(this.options.topic)) return;
      await admin.createTopics({
        topics: [
          {
            topic: this.options.topic,
            numPartitions: create.numPartitions ?? 1,
            replicationFactor: create.replicationFactor ?? -1,
          },
        ],
        waitForLeaders: true,
      });
      this.logger.info(
        { channel: this.options.name, topic: this.options.topic },
        'created the channel topic',
      );
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  async publish(event: MeshEvent): Promise<void> {
    await this.ensureTopic();
    await this.sink.send(event);
  }

  /**
   * Subscribes once the topic is there. When it cannot be checked (Kafka unreachable, the
   * credentials refused), the subscription still comes back: it waits, retrying in the
   * background with backoff, and the channel reports why it is degraded. A gateway with one bad
   * Connection keeps serving everything else, and fixing the cause needs no restart.
   */
  async subscribe(options: SubscriptionOptions, handler: DeliveryHandler): Promise<ChannelSubscription> {
    const source = new KafkaSource({
      name: options.name,
      client: this.options.client,
      topics: [this.options.topic],
      groupId: `${this.options.groupPrefix ?? 'meshgate'}.${options.name}`,
      initialOffset: options.startFrom ?? 'latest',
      ordered: options.ordered ?? false,
      maxInFlight: options.maxInFlight,
      maxInFlightTotal: options.maxInFlight,
      stopGraceMs: 2000,
      logger: this.logger,
    });
    let cancelled = false;
    let started = false;
    let timer: NodeJS.Timeout | undefined;
    const begin = async (attempt: number): Promise<void> => {
      if (cancelled || this.closed) return;
      try {
        await this.ensureTopic();
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        const delay = Math.min(30_000, 1000 * 2 ** attempt);
        if (this.waiting.get(options.name) !== reason) {
          this.logger.error(
            { channel: this.options.name, subscription: options.name, err, retryInMs: delay },
            'Kafka channel subscription waiting: its topic cannot be checked',
          );
        }
        this.waiting.set(options.name, reason);
        const t = setTimeout(() => {
          this.retries.delete(t);
          void begin(attempt + 1);
        }, delay);
        timer = t;
        this.retries.add(t);
        return;
      }
      this.waiting.delete(options.name);
      if (cancelled || this.closed) return;
      this.subscriptions.add(source);
      started = true;
      await source.start(handler);
    };
    await begin(0);
    return {
      close: async () => {
        cancelled = true;
        if (timer !== undefined) {
          clearTimeout(timer);
          this.retries.delete(timer);
        }
        this.waiting.delete(options.name);
        this.subscriptions.delete(source);
        if (started) await source.stop();
      },
      backlog: () => source.backlog(),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.retries) clearTimeout(t);
    this.retries.clear();
    this.waiting.clear();
    await Promise.allSettled([...this.subscriptions].map((s) => s.stop()));
    this.subscriptions.clear();
    await this.sink.close();
  }

  /** The producer's state, degraded as soon as one subscription is. */
  status(): ComponentStatus {
    if (this.closed) return { state: 'stopped' };
    const [waiting] = this.waiting.values();
    if (waiting !== undefined) return { state: 'degraded', reason: waiting };
    const degraded = [...this.subscriptions].map((s) => s.status()).find((s) => s.state === 'degraded');
    return degraded ?? this.sink.status();
  }
}
