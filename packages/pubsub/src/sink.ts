/**
 * PubSubSink: an Addressable-like Sink that publishes each event to a Pub/Sub topic and
 * resolves once Pub/Sub has it (the publish call answered with a message id; Pub/Sub stores a
 * message durably before it answers).
 */
import type { Topic } from '@google-cloud/pubsub';
import {
  type ComponentStatus,
  type MeshEvent,
  MeshgateError,
  type Sink,
  toMeshgateError,
  validateEvent,
} from '@meshgate/core';
import { type PubSubContentMode, PUBSUB_LIMITS, encodePubSubMessage } from './binding.js';
import type { PubSubConnection } from './client.js';
import { toPubSubError } from './errors.js';
import { checkResourceName, fullName, shortName } from './names.js';

export interface PubSubSinkOptions {
  /** The sink's name, for logs and status. Default `pubsub:<topic>`. */
  name?: string;
  connection: PubSubConnection;
  /** The topic: a short name or `projects/<p>/topics/<t>`. The sink never creates it. */
  topic: string;
  /** Content mode; default `binary`. */
  mode?: PubSubContentMode;
  /**
   * Publish with this attribute's value (typically `partitionkey`) as the ordering key, so that
   * subscriptions with message ordering get the events of one key in order. Default: none.
   */
  orderingKeyAttribute?: string;
  /**
   * The ordering key of events without the `orderingKeyAttribute` (or of every event, when that
   * is unset): one key keeps the whole stream in order, at the price of Pub/Sub's per-key
   * throughput (about 1 MB/s). Default: none.
   */
  defaultOrderingKey?: string;
  /** Publisher batching: how long a publish may wait for others to share its request. Default 5 ms. */
  maxBatchDelayMs?: number;
  /**
   * How long one publish may take, retries included, before it rejects with a retriable
   * NOT_CONNECTED. Default 30000 ms (the client library's own default is 10 minutes).
   */
  publishTimeoutMs?: number;
  /** Most messages in one publish request. Default 100. */
  maxBatchMessages?: number;
}

/** Publishes events to one Pub/Sub topic. */
export class PubSubSink implements Sink {
  readonly name: string;
  /** Full topic name. */
  readonly topicName: string;
  private readonly topic: Topic;
  private readonly connection: PubSubConnection;
  private readonly mode: PubSubContentMode;
  private readonly orderingKeyAttribute: string | undefined;
  private readonly defaultOrderingKey: string | undefined;
  private state: ComponentStatus = { state: 'ready' };
  private closed = false;

  constructor(options: PubSubSinkOptions) {
    checkResourceName('topics', options.topic, 'topic');
    this.connection = options.connection;
    this.topicName = fullName(options.connection.projectId, 'topics', options.topic);
    this.name = options.name ?? `pubsub:${shortName(this.topicName)}`;
    this.mode = options.mode ?? 'binary';
    this.orderingKeyAttribute =
      options.orderingKeyAttribute === '' ? undefined : options.orderingKeyAttribute;
    this.defaultOrderingKey = options.defaultOrderingKey === '' ? undefined : options.defaultOrderingKey;
    this.topic = options.connection.client.topic(this.topicName, {
      messageOrdering: this.orderingKeyAttribute !== undefined || this.defaultOrderingKey !== undefined,
      gaxOpts: { timeout: options.publishTimeoutMs ?? 30_000 },
      batching: {
        maxMilliseconds: options.maxBatchDelayMs ?? 5,
        maxMessages: options.maxBatchMessages ?? 100,
      },
    });
  }

  /** Publishes and resolves once Pub/Sub stored the event; see `publish` for the message id. */
  async send(event: MeshEvent): Promise<void> {
    await this.publish(event);
  }

  /**
   * Publishes and resolves with the message id Pub/Sub assigned.
   * Rejects with InvalidEventError (not a valid CloudEvent), PAYLOAD_TOO_LARGE, NOT_FOUND (the
   * topic does not exist), NOT_CONNECTED (unreachable: retriable; refused credentials: not).
   */
  async publish(event: MeshEvent): Promise<string> {
    if (this.closed)
      throw new MeshgateError('NOT_CONNECTED', `sink "${this.name}" is closed`, { retriable: false });
    validateEvent(event);
    const message = encodePubSubMessage(event, {
      mode: this.mode,
      ...(this.orderingKeyAttribute !== undefined ? { orderingKeyAttribute: this.orderingKeyAttribute } : {}),
    });
    if (message.orderingKey === undefined && this.defaultOrderingKey !== undefined) {
      message.orderingKey = this.defaultOrderingKey;
    }
    const size =
      message.data.length +
      Object.entries(message.attributes).reduce((n, [k, v]) => n + k.length + v.length, 0);
    if (size > PUBSUB_LIMITS.messageBytes) {
      throw new MeshgateError(
        'PAYLOAD_TOO_LARGE',
        `event ${String(event.attributes.id)} is ${size} bytes, over Pub/Sub's ${PUBSUB_LIMITS.messageBytes}-byte message limit (topic "${this.topicName}")`,
      );
    }
    try {
      const id = await this.topic.publishMessage(message);
      if (this.state.state !== 'ready') this.state = { state: 'ready' };
      return id;
    } catch (err) {
      // A failed publish pauses its ordering key until resumed; the caller decides to retry.
      if (message.orderingKey !== undefined) this.topic.resumePublishing(message.orderingKey);
      const error = toPubSubError(err, {
        connection: this.connection.name,
        object: `topic "${this.topicName}"`,
        action: 'publish to',
      });
      this.state = { state: 'degraded', reason: error.message };
      throw error;
    }
  }

  /** Sends what is batched, then refuses further sends. Leaves the connection open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.topic.flush();
    } catch (err) {
      throw toMeshgateError(err);
    } finally {
      this.state = { state: 'stopped' };
    }
  }

  status(): ComponentStatus {
    return { ...this.state };
  }
}
