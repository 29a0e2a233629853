/**
 * PubSubSource: streaming pull from one Pub/Sub subscription, at-least-once.
 *
 * - Flow control is the in-flight window: at most `maxInFlight` messages are held un-settled
 *   (the client library stops the stream when the window is full).
 * - A message is acked only when the handler acks its delivery; a nack makes Pub/Sub redeliver
 *   it (after `delayMs`: the lease is kept, and extended, until then; the subscription's retry
 *   policy may add Pub/Sub's own backoff).
 * - Leases of long deliveries are extended by the client library, up to `maxExtensionMinutes`.
 * - Ordered: one delivery per ordering key at a time; a nack makes Pub/Sub redeliver the
 *   message and every later one of its key, so the later ones held here are nacked too.
 * - `stop` waits up to `stopGraceMs` for outstanding deliveries, nacks the rest (they are
 *   redelivered at once to whoever pulls next), flushes acks and closes the stream.
 *
 * @see https://cloud.google.com/pubsub/docs/pull#streamingpull_api
 * @see https://cloud.google.com/pubsub/docs/lease-management
 * @see https://cloud.google.com/pubsub/docs/ordering
 */
import type { Message, Subscription } from '@google-cloud/pubsub';
import {
  type ComponentStatus,
  type Delivery,
  type DeliveryHandler,
  type MeshEvent,
  MeshgateError,
  NotCloudEventError,
  type Source,
} from '@meshgate/core';
import { type SubscriptionSettings, ensureSubscription, ensureTopic } from './admin.js';
import { decodePubSubMessage } from './binding.js';
import { pubsubLibrary } from './library.js';
import type { PubSubConnection } from './client.js';
import { isNotFound, toPubSubError } from './errors.js';
import { type ForeignMessageStyle, wrapForeignMessage } from './foreign.js';
import { KeyLanes } from './key-lanes.js';
import { checkResourceName, fullName, shortName } from './names.js';

export interface PubSubSourceOptions {
  /** The source's name, for logs and status. Default `pubsub:<subscription>`. */
  name?: string;
  connection: PubSubConnection;
  /** The subscription: a short name or `projects/<p>/subscriptions/<s>`. */
  subscription: string;
  /**
   * The topic to create the subscription on when it does not exist (with `ordered` and
   * `ackDeadlineSeconds`). Without it, a missing subscription is an error. The topic must exist.
   */
  topic?: string;
  /** Ack deadline of a subscription created here, in seconds (10-600). Default 60. */
  ackDeadlineSeconds?: number;
  /** Dead-letter policy of a subscription created here (see SubscriptionSettings). */
  deadLetter?: SubscriptionSettings['deadLetter'];
  /** Most deliveries un-settled at once. Default 100. */
  maxInFlight?: number;
  /**
   * One delivery per ordering key at a time, in order. Needs a subscription created with
   * message ordering enabled (PubSubChannel does that for ordered Triggers).
   */
  ordered?: boolean;
  /** How messages that are not CloudEvents are wrapped (see foreign.ts). Default `raw`. */
  foreign?: ForeignMessageStyle;
  /** How long the lease of one delivery is extended at most. Default 60 minutes. */
  maxExtensionMinutes?: number;
  /** How long `stop` waits for outstanding deliveries before nacking them. Default 5000 ms. */
  stopGraceMs?: number;
  /** How long acks may wait to share a request. Default 10 ms. */
  ackBatchDelayMs?: number;
  /** Backoff between attempts to reopen a stream that closed on an error. Default 250 ms .. 30 s. */
  reconnect?: { initialMs?: number; maxMs?: number };
  /** Called for problems worth a log line (stream errors, wrapped undecodable messages). */
  onWarning?: (message: string, err?: unknown) => void;
}

/** One message handed to us by the client library, and where it is in its life. */
interface Held {
  message: Message;
  key: string | undefined;
  settled: boolean;
  /** Handed out to the handler (false while it waits in its key's lane). */
  out: boolean;
  delayTimer?: NodeJS.Timeout;
}

const MAX_DELAY_MS = 10 * 60 * 1000;
const ORDER_RESET_MS = 30_000;
const METADATA_TIMEOUT_MS = 10_000;

/** Pulls CloudEvents from a Pub/Sub subscription. */
export class PubSubSource implements Source {
  readonly name: string;
  /** Full subscription name. */
  readonly subscriptionName: string;
  private readonly options: PubSubSourceOptions;
  private readonly maxInFlight: number;
  private readonly lanes = new KeyLanes<Held>();
  /** Ordering keys whose nacked message we wait to see again, before anything else of the key. */
  private readonly resetting = new Map<string, { id: string; until: number }>();
  private readonly held = new Set<Held>();
  private subscription: Subscription | undefined;
  private handler: DeliveryHandler | undefined;
  private topic: string | undefined;
  private state: ComponentStatus = { state: 'stopped', reason: 'not started' };
  private stopping = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private stopped: Promise<void> | undefined;
  private reconnectDelay: number;

  constructor(options: PubSubSourceOptions) {
    checkResourceName('subscriptions', options.subscription, 'subscription');
    if (options.topic !== undefined) checkResourceName('topics', options.topic, 'topic');
    const maxInFlight = options.maxInFlight ?? 100;
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
      throw new MeshgateError('CONFIG_INVALID', `maxInFlight must be a positive integer, got ${maxInFlight}`);
    }
    this.options = options;
    this.maxInFlight = maxInFlight;
    this.subscriptionName = fullName(options.connection.projectId, 'subscriptions', options.subscription);
    this.name = options.name ?? `pubsub:${shortName(this.subscriptionName)}`;
    this.reconnectDelay = options.reconnect?.initialMs ?? 250;
  }

  /**
   * Starts pulling, first creating the subscription on `topic` when that is given and the
   * subscription is missing. Rejects with NOT_FOUND when the subscription (or that topic) does
   * not exist, CONFIG_INVALID for bad subscription settings, and with a
   * non-retriable NOT_CONNECTED when the credentials are refused; an unreachable service is
   * retried in the background and shown as `degraded`.
   */
  async start(handler: DeliveryHandler): Promise<void> {
    if (this.handler !== undefined)
      throw new MeshgateError('INTERNAL', `source "${this.name}" is already started`);
    this.handler = handler;
    this.stopping = false;
    this.state = { state: 'starting' };
    try {
      if (this.options.topic !== undefined) {
        const topic = fullName(this.options.connection.projectId, 'topics', this.options.topic);
        await ensureTopic(this.options.connection, topic, false);
        await ensureSubscription(this.options.connection, topic, this.subscriptionName, {
          ordered: this.options.ordered === true,
          ackDeadlineSeconds: this.options.ackDeadlineSeconds ?? 60,
          ...(this.options.deadLetter !== undefined ? { deadLetter: this.options.deadLetter } : {}),
        });
      }
      await this.readTopic();
    } catch (err) {
      const error = toPubSubError(err, this.context('open'));
      if (isNotFound(err) || !error.retriable || error.code === 'NOT_FOUND') {
        this.handler = undefined;
        this.state = { state: 'stopped', reason: error.message };
        throw error;
      }
      this.warn(`${error.message}; pulling anyway, the client library retries`, err);
      this.degrade(error.message);
    }
    this.open();
  }

  /** Learns the subscription's topic (for wrapped messages' `source`); proves it is reachable. */
  private async readTopic(): Promise<void> {
    const [metadata] = await this.options.connection.client
      .subscription(this.subscriptionName)
      .getMetadata({ timeout: METADATA_TIMEOUT_MS });
    this.topic = metadata.topic ?? undefined;
    if (this.options.ordered === true && metadata.enableMessageOrdering !== true) {
      this.warn(
        `subscription "${this.subscriptionName}" was created without message ordering: Pub/Sub may deliver a key's messages out of order (deliveries still go one per key)`,
      );
    }
  }

  /**
   * Shows the source degraded, and probes the subscription with backoff until it answers again
   * (a message arriving also proves it). The client library keeps retrying the stream meanwhile.
   */
  private degrade(reason: string): void {
    this.state = { state: 'degraded', reason };
    if (this.probeTimer !== undefined || this.stopping) return;
    let delay = this.options.reconnect?.initialMs ?? 250;
    const probe = () => {
      this.probeTimer = setTimeout(() => {
        this.readTopic().then(
          () => {
            this.probeTimer = undefined;
            if (!this.stopping && this.state.state === 'degraded') this.state = { state: 'ready' };
          },
          () => {
            if (this.stopping) {
              this.probeTimer = undefined;
              return;
            }
            delay = Math.min(delay * 2, this.options.reconnect?.maxMs ?? 30_000);
            probe();
          },
        );
      }, delay);
    };
    probe();
  }

  private open(): void {
    const subscription = this.options.connection.client.subscription(this.subscriptionName, {
      flowControl: { maxMessages: this.maxInFlight, allowExcessMessages: false },
      maxExtensionTime: pubsubLibrary().Duration.from({ minutes: this.options.maxExtensionMinutes ?? 60 }),
      batching: { maxMilliseconds: this.options.ackBatchDelayMs ?? 10 },
    });
    this.subscription = subscription;
    subscription.on('message', (message: Message) => this.onMessage(message));
    subscription.on('error', (err: unknown) => {
      const error = toPubSubError(err, this.context('pull from'));
      this.warn(error.message, err);
      this.degrade(error.message);
    });
    subscription.on('close', () => {
      if (this.stopping || this.subscription !== subscription) return;
      // The stream gave up (a non-retriable status): reopen with backoff, keep held messages
      // (their acks go through the client, which reconnects too).
      quiet(subscription);
      this.degrade(this.state.reason ?? 'the streaming pull closed');
      this.scheduleReconnect();
    });
    if (this.state.state === 'starting') this.state = { state: 'ready' };
  }

  private scheduleReconnect(): void {
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(delay * 2, this.options.reconnect?.maxMs ?? 30_000);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.stopping) return;
      this.open();
    }, delay);
  }

  private onMessage(message: Message): void {
    if (this.stopping) {
      message.nack();
      return;
    }
    this.reconnectDelay = this.options.reconnect?.initialMs ?? 250;
    if (this.state.state !== 'ready') this.state = { state: 'ready' };
    const key = this.options.ordered === true ? (message.orderingKey ?? '') : undefined;
    const held: Held = { message, key, settled: false, out: false };
    if (key !== undefined) {
      const reset = this.resetting.get(key);
      if (reset !== undefined) {
        // Waiting for the nacked message to come back first: anything else of its key now is
        // out of order, and Pub/Sub will send it again after that one.
        if (reset.id !== message.id && Date.now() < reset.until) {
          message.nack();
          return;
        }
        this.resetting.delete(key);
      }
      this.held.add(held);
      if (!this.lanes.offer(key, held)) return;
    } else {
      this.held.add(held);
    }
    this.handOut(held);
  }

  private handOut(held: Held): void {
    if (held.settled) return;
    if (this.stopping || this.handler === undefined) {
      held.settled = true;
      held.message.nack();
      this.held.delete(held);
      return;
    }
    held.out = true;
    const { message } = held;
    const delivery: Delivery = {
      event: this.decode(message),
      origin: `${this.subscriptionName}#${message.id}`,
      redeliveries: Math.max(0, (message.deliveryAttempt ?? 0) - 1),
      ack: () => this.settle(held, 'ack'),
      nack: (_reason: Error, delayMs?: number) => this.settle(held, 'nack', delayMs),
    };
    try {
      this.handler?.(delivery);
    } catch (err) {
      this.warn(`handler of source "${this.name}" threw; the message will be redelivered`, err);
      if (!held.settled) this.settle(held, 'nack');
    }
  }

  private decode(message: Message): MeshEvent {
    const incoming = {
      id: message.id,
      data: message.data,
      attributes: message.attributes ?? {},
      publishTime: new Date(message.publishTime.getTime()),
      ...(message.orderingKey ? { orderingKey: message.orderingKey } : {}),
    };
    try {
      return decodePubSubMessage(incoming);
    } catch (err) {
      // Never dropped: a message that claims to be a CloudEvent and is not one is wrapped like
      // any foreign message, with the reason in `bindingerror`.
      const invalid = !(err instanceof NotCloudEventError);
      const reason = err instanceof Error ? err.message : String(err);
      if (invalid)
        this.warn(
          `message ${message.id} on ${this.subscriptionName} is not a valid CloudEvent; wrapped: ${reason}`,
        );
      return wrapForeignMessage(incoming, {
        subscription: this.subscriptionName,
        ...(this.topic !== undefined ? { topic: this.topic } : {}),
        style: this.options.foreign ?? 'raw',
        ...(invalid ? { bindingError: reason } : {}),
      });
    }
  }

  private settle(held: Held, outcome: 'ack' | 'nack', delayMs?: number): void {
    if (held.settled) return;
    held.settled = true;
    if (outcome === 'ack') {
      held.message.ack();
      this.release(held);
      return;
    }
    const delay = Math.min(Math.max(0, delayMs ?? 0), MAX_DELAY_MS);
    if (delay === 0 || this.stopping) {
      this.nackNow(held);
      return;
    }
    // Keep the lease (the client extends it) until the delay passes, then let Pub/Sub redeliver.
    held.delayTimer = setTimeout(() => {
      held.delayTimer = undefined;
      this.nackNow(held);
    }, delay);
  }

  private nackNow(held: Held): void {
    held.message.nack();
    if (held.key !== undefined) {
      // Pub/Sub redelivers this message and every later one of its key: drop what waits here.
      const now = Date.now();
      // Keys whose nacked message never came back (taken by another replica) expire here.
      if (this.resetting.size >= 1024) {
        for (const [key, reset] of this.resetting) if (reset.until <= now) this.resetting.delete(key);
      }
      this.resetting.set(held.key, { id: held.message.id, until: now + ORDER_RESET_MS });
      for (const queued of this.lanes.drain(held.key)) {
        queued.settled = true;
        queued.message.nack();
        this.held.delete(queued);
      }
    }
    this.held.delete(held);
  }

  /** An acked delivery leaves; in ordered mode the next one of its key goes out. */
  private release(held: Held): void {
    this.held.delete(held);
    if (held.key === undefined) return;
    const next = this.lanes.next(held.key);
    // Not from inside the ack call: a handler that acks synchronously would recurse per key.
    if (next !== undefined) queueMicrotask(() => this.handOut(next));
  }

  /** Stops pulling (see the class comment); concurrent calls share one stop. */
  stop(): Promise<void> {
    if (this.handler === undefined) return Promise.resolve();
    this.stopped ??= this.shutDown().finally(() => {
      this.stopped = undefined;
    });
    return this.stopped;
  }

  private async shutDown(): Promise<void> {
    this.stopping = true;
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    if (this.probeTimer !== undefined) clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    // Deliveries waiting out a nack delay are due for redelivery anyway: nack them now.
    for (const held of [...this.held]) {
      if (held.delayTimer !== undefined) {
        clearTimeout(held.delayTimer);
        held.delayTimer = undefined;
        this.nackNow(held);
      }
    }
    // Queued behind an outstanding delivery of their key: never handed out, nack at once.
    for (const queued of this.lanes.drainAll()) {
      queued.settled = true;
      queued.message.nack();
      this.held.delete(queued);
    }
    const deadline = Date.now() + (this.options.stopGraceMs ?? 5000);
    while ([...this.held].some((h) => h.out && !h.settled) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const held of [...this.held]) {
      if (held.delayTimer !== undefined) clearTimeout(held.delayTimer);
      if (!held.settled || held.delayTimer !== undefined) {
        held.settled = true;
        held.message.nack();
      }
    }
    this.held.clear();
    this.resetting.clear();
    const subscription = this.subscription;
    this.subscription = undefined;
    this.handler = undefined;
    if (subscription !== undefined) {
      subscription.removeAllListeners('message');
      try {
        // Flushes the acks and nacks above before the stream goes away.
        await subscription.close();
      } catch (err) {
        this.warn(`closing ${this.subscriptionName} failed`, err);
      }
      quiet(subscription);
    }
    this.state = { state: 'stopped' };
  }

  status(): ComponentStatus {
    return { ...this.state };
  }

  /** Deliveries handed out and not yet settled (for tests and metrics). */
  get inFlight(): number {
    let n = 0;
    for (const held of this.held) if (held.out && !held.settled) n += 1;
    return n;
  }

  private context(action: string) {
    return {
      connection: this.options.connection.name,
      object: `subscription "${this.subscriptionName}"`,
      action,
    };
  }

  private warn(message: string, err?: unknown): void {
    this.options.onWarning?.(message, err);
  }
}

/** Drops our listeners but keeps one for 'error': an EventEmitter without one would throw. */
function quiet(subscription: Subscription): void {
  subscription.removeAllListeners();
  subscription.on('error', () => {});
}
