/**
 * Consumes one queue and turns each message into a Delivery: the work shared by RabbitmqSource
 * and the per-Trigger subscriptions of RabbitmqChannel.
 *
 * - prefetch is the in-flight window (1 in ordered mode, so the queue's FIFO order holds);
 * - a message is acked only when the handler acks it; nack requeues it (after the delay, during
 *   which it stays un-acked and holds its prefetch slot, so a crash returns it at once);
 * - a message that claims to be a CloudEvent but is not a valid one goes to the dead-letter
 *   exchange when one is configured (published with a confirm, then acked), otherwise it is
 *   wrapped like any foreign message. It is never dropped.
 * - on connection loss the keeper reconnects with backoff; un-acked messages are redelivered by
 *   the broker, and settling a delivery of the lost channel is a no-op.
 */
import {
  type ComponentStatus,
  type Delivery,
  type DeliveryHandler,
  InvalidEventError,
  type MeshEvent,
} from '@meshgate/core';
import type { ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { fromAmqpMessage, type WrapContext, wrapMessage } from './binding.js';
import { AmqpConnectionKeeper, type ReconnectOptions, redactUrl } from './connection.js';
import { AckBatcher } from './ack-batcher.js';
import { ConfirmPublisher } from './publisher.js';

/** Where poison messages go: an exchange (and routing key; default the queue's name). */
export interface DeadLetterTarget {
  exchange: string;
  routingKey?: string;
}

export interface QueueConsumerOptions {
  url: string;
  queue: string;
  /** Un-acked messages at once (AMQP prefetch). */
  maxInFlight: number;
  /** One at a time, in queue order. */
  ordered?: boolean;
  deadLetter?: DeadLetterTarget;
  /** For the `source` attribute of wrapped messages. */
  wrap: Omit<WrapContext, 'queue'>;
  /** How long `stop` waits for in-flight deliveries to settle; default 5 s. */
  stopGraceMs?: number;
  reconnect?: ReconnectOptions;
  /** Declares the queue (and its bindings) on each connection, before consuming. */
  declare?: (channel: ConfirmChannel) => Promise<void>;
}

export class QueueConsumer {
  private readonly keeper: AmqpConnectionKeeper;
  private channel: ConfirmChannel | undefined;
  private acks: AckBatcher | undefined;
  private publisher: ConfirmPublisher | undefined;
  private consumerTag: string | undefined;
  private handler: DeliveryHandler | undefined;
  private inFlight = 0;
  private readonly delayed = new Map<NodeJS.Timeout, () => void>();
  private idleWaiters: Array<() => void> = [];
  private stopping = false;

  constructor(private readonly options: QueueConsumerOptions) {
    this.keeper = new AmqpConnectionKeeper({
      url: options.url,
      label: `${redactUrl(options.url)} queue "${options.queue}"`,
      reconnect: options.reconnect,
      setup: (model) => this.setup(model),
    });
  }

  async start(handler: DeliveryHandler): Promise<void> {
    this.handler = handler;
    await this.keeper.start();
  }

  status(): ComponentStatus {
    return this.keeper.status();
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const channel = this.channel;
    if (channel !== undefined && this.consumerTag !== undefined) {
      await channel.cancel(this.consumerTag).catch(() => {});
    }
    // Delayed nacks need no waiting: requeue them now.
    for (const [timer, fire] of this.delayed) {
      clearTimeout(timer);
      fire();
    }
    this.delayed.clear();
    await this.waitIdle(this.options.stopGraceMs ?? 5000);
    // Acks given in this very turn are still queued for a batched frame: send them first.
    this.acks?.flush();
    // Closing the channel returns every message still un-acked to the queue.
    await this.keeper.close();
    this.channel = undefined;
  }

  /**
   * Messages waiting in the queue (ready) plus those this consumer holds un-acked; undefined while
   * not connected. One passive declare on the consuming channel (the queue exists: we consume it).
   */
  async backlog(): Promise<number | undefined> {
    const channel = this.channel;
    if (channel === undefined) return undefined;
    const { messageCount } = await channel.checkQueue(this.options.queue);
    return messageCount + this.inFlight;
  }

  private waitIdle(ms: number): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private async setup(model: ChannelModel): Promise<void> {
    const channel = await model.createConfirmChannel();
    // The broker's reason ('error' comes before 'close'), e.g. 403 ACCESS_REFUSED for a queue
    // the user may not read: the status says why, not only that the channel closed.
    let why: string | undefined;
    channel.on('error', (err: Error) => {
      why = err.message;
    });
    channel.on('close', () => {
      // A channel closed by the broker (e.g. the queue was deleted) while the connection lives:
      // reconnect the whole thing so that consuming resumes.
      if (this.channel === channel && !this.stopping) {
        this.channel = undefined;
        this.keeper.fail(`channel on queue "${this.options.queue}" closed${why ? `: ${why}` : ''}`);
      }
    });
    this.publisher = new ConfirmPublisher(channel, `dead-letter for queue "${this.options.queue}"`);
    if (this.options.declare !== undefined) await this.options.declare(channel);
    await channel.prefetch(this.options.ordered === true ? 1 : this.options.maxInFlight);
    this.channel = channel;
    this.acks = new AckBatcher(channel);
    // Deliveries of an earlier channel cannot be settled any more; the broker redelivers them.
    this.inFlight = 0;
    this.notifyIdle();
    const reply = await channel.consume(this.options.queue, (msg) => {
      if (msg !== null) void this.onMessage(channel, msg);
    });
    this.consumerTag = reply.consumerTag;
  }

  private async onMessage(channel: ConfirmChannel, msg: ConsumeMessage): Promise<void> {
    const ctx: WrapContext = { ...this.options.wrap, queue: this.options.queue };
    let event: MeshEvent;
    try {
      event = fromAmqpMessage(msg, ctx).event;
    } catch (caught) {
      // Whatever the decoder throws, the message is poison; a throw here would crash the process.
      const err = asInvalid(caught);
      if (this.options.deadLetter !== undefined) {
        await this.deadLetter(channel, msg, err);
        return;
      }
      event = wrapMessage(msg, ctx);
    }
    this.deliver(channel, msg, event);
  }

  private deliver(channel: ConfirmChannel, msg: ConsumeMessage, event: MeshEvent): void {
    const acks = this.acks!;
    this.inFlight += 1;
    let settled = false;
    const live = () => this.channel === channel;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      if (live()) {
        this.inFlight -= 1;
        if (this.inFlight === 0) this.notifyIdle();
        return true;
      }
      return false;
    };
    const count = msg.properties.headers?.['x-delivery-count'];
    const delivery: Delivery = {
      event,
      origin: `${this.options.queue}#${msg.fields.deliveryTag}`,
      redeliveries: typeof count === 'number' ? count : msg.fields.redelivered ? 1 : 0,
      ack: () => {
        if (settle()) acks.ack(msg);
      },
      nack: (_reason, delayMs) => {
        if (settled) return;
        const requeue = () => {
          if (settle()) {
            channel.nack(msg, false, true);
            acks.settledOtherwise(msg.fields.deliveryTag);
          }
        };
        if (delayMs === undefined || delayMs <= 0 || this.stopping) {
          requeue();
          return;
        }
        const timer = setTimeout(() => {
          this.delayed.delete(timer);
          requeue();
        }, delayMs);
        this.delayed.set(timer, requeue);
      },
    };
    try {
      this.handler?.(delivery);
    } catch (err) {
      // A throwing handler must not take the consumer down: the delivery goes back for later.
      delivery.nack(err instanceof Error ? err : new Error(String(err)), 1000);
    }
  }

  /** Publishes the message as it is to the dead-letter exchange, waits for the confirm, acks it. */
  private async deadLetter(channel: ConfirmChannel, msg: ConsumeMessage, err: Error): Promise<void> {
    const target = this.options.deadLetter!;
    const p = msg.properties;
    const headers = { ...(p.headers ?? {}), 'x-meshgate-error': err.message.slice(0, 1000) };
    try {
      await this.publisher!.publish(target.exchange, target.routingKey ?? this.options.queue, msg.content, {
        contentType: p.contentType,
        contentEncoding: p.contentEncoding,
        messageId: p.messageId,
        timestamp: p.timestamp,
        type: p.type,
        appId: p.appId,
        headers,
        persistent: true,
      });
      if (this.channel === channel) this.acks?.ack(msg);
    } catch {
      // Not dead-lettered (unroutable, or the channel is gone): the message stays in the queue.
      // Requeued at once it would spin; a delay keeps the gateway responsive meanwhile.
      const timer = setTimeout(() => {
        this.delayed.delete(timer);
        this.requeuePoison(channel, msg);
      }, 1000);
      this.delayed.set(timer, () => this.requeuePoison(channel, msg));
    }
  }

  private requeuePoison(channel: ConfirmChannel, msg: ConsumeMessage): void {
    if (this.channel !== channel) return;
    channel.nack(msg, false, true);
    this.acks?.settledOtherwise(msg.fields.deliveryTag);
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

function asInvalid(err: unknown): InvalidEventError {
  return err instanceof InvalidEventError
    ? err
    : new InvalidEventError(`undecodable message: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
}
