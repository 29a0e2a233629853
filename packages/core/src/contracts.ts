/**
 * The contracts every connector implements (Kafka, RabbitMQ, NATS, Pub/Sub, memory, HTTP).
 * The router speaks only these; a connector package turns them into its middleware's terms.
 */
import type { MeshEvent } from './event/mesh-event.js';
import type { CompiledFilter } from './filter/index.js';

/**
 * One event handed out by a Source or a Channel subscription, with its settlement.
 * Exactly one of ack/nack is called, once. The event is safe to forget only after ack.
 */
export interface Delivery {
  readonly event: MeshEvent;
  /** Where it came from, for logs and metrics: `topic/partition@offset`, a queue and tag, ... */
  readonly origin: string;
  /** How many times the middleware has handed this event out before (0 when unknown or first). */
  readonly redeliveries: number;
  /** The event was delivered or dead-lettered: commit the offset / ack the message. */
  ack(): void;
  /**
   * The event could not be made safe; hand it out again later (after `delayMs` where the
   * middleware supports a delay). The source keeps its place: nothing after an un-acked
   * event is committed.
   */
  nack(reason: Error, delayMs?: number): void;
}

/** Receives deliveries from a Source or a Channel subscription. */
export type DeliveryHandler = (delivery: Delivery) => void;

/**
 * Pulls events from a Connection (topic, queue, subject, subscription).
 * - `start` resolves once consuming has begun; connection errors are retried inside with
 *   backoff and reported through `status`, not thrown.
 * - At-least-once: the source commits/acks only what the handler acked, and in order where the
 *   middleware has cumulative offsets (everything at or below a committed offset was acked).
 * - Ordering: when `ordered`, the next event of a partition/key is handed out only after the
 *   previous one was acked; otherwise up to `maxInFlight` events are out at once.
 */
export interface Source {
  readonly name: string;
  start(handler: DeliveryHandler): Promise<void>;
  /** Stops consuming, waits for in-flight acks up to a grace period, commits, disconnects. */
  stop(): Promise<void>;
  status(): ComponentStatus;
  /**
   * Events waiting for this source where the middleware tells (Kafka consumer lag, RabbitMQ queue
   * depth, JetStream pending), as last read; undefined when unknown. Cheap: read at every scrape.
   */
  backlog?(): number | undefined;
}

/**
 * Writes events into a Connection. `send` resolves only once the middleware has the event
 * durably (Kafka acks=all, RabbitMQ publisher confirm, JetStream PubAck, Pub/Sub message id,
 * HTTP 2xx). It rejects with a MeshgateError whose `retriable` says whether trying again may help.
 */
export interface Sink {
  readonly name: string;
  send(event: MeshEvent): Promise<void>;
  close(): Promise<void>;
  status(): ComponentStatus;
}

/** Options of one per-Trigger subscription on a Channel. */
export interface SubscriptionOptions {
  /** Stable name of the subscriber (e.g. `<namespace>.<broker>.<trigger>`): its own progress. */
  name: string;
  /** How many deliveries may be un-settled at once. */
  maxInFlight: number;
  /** Deliver one at a time per partition key, in order. */
  ordered?: boolean;
  /** Where a new subscription starts: `latest` (default, "now") or `earliest`. */
  startFrom?: 'latest' | 'earliest';
  /**
   * The subscriber's filter. A channel may use it to skip events the subscriber would drop
   * anyway (the memory channel indexes all its subscribers' filters); subscribers still filter,
   * so a channel that ignores it stays correct.
   */
  filter?: CompiledFilter;
}

export interface ChannelSubscription {
  close(): Promise<void>;
  /** Events waiting for this subscriber, where the middleware can tell (queue depth, lag). */
  backlog(): number | undefined;
}

/**
 * What persists a Broker's events. `publish` resolves when the event is durable (memory: when
 * it is queued, which survives no crash). Each subscription has its own progress, so one slow
 * Trigger never holds back another.
 */
export interface Channel {
  readonly kind: string;
  /** True when published events survive a gateway crash. */
  readonly durable: boolean;
  publish(event: MeshEvent): Promise<void>;
  subscribe(options: SubscriptionOptions, handler: DeliveryHandler): Promise<ChannelSubscription>;
  close(): Promise<void>;
  status(): ComponentStatus;
}

/** Health of a component, as shown by /readyz, the admin API and metrics. */
export interface ComponentStatus {
  state: 'starting' | 'ready' | 'degraded' | 'stopped';
  /** Why it is not ready, for humans. */
  reason?: string;
}
