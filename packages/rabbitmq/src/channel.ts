/**
 * RabbitmqChannel: a Broker's events in RabbitMQ. One durable exchange per Broker (topic, routed
 * on the event type, or headers); one durable queue per Trigger, bound to it for every event, so
 * each Trigger has its own progress and one slow Trigger never holds back another. The Triggers'
 * filters run in the gateway; the broker fans out.
 *
 * `publish` resolves on the publisher confirm: the event is in every Trigger queue (durable
 * queues: on disk). An event no Trigger queue takes is accepted and dropped, as a Knative Broker
 * without matching Triggers does.
 */
import {
  type Channel,
  type ChannelSubscription,
  type ComponentStatus,
  ConfigError,
  type DeliveryHandler,
  type MeshEvent,
  NotConnectedError,
  type SubscriptionOptions,
} from '@meshgate/core';
import type { ChannelModel } from 'amqplib';
import { type ContentMode, toAmqpMessage } from './binding.js';
import { AmqpConnectionKeeper, type ReconnectOptions, redactUrl } from './connection.js';
import { QueueConsumer } from './consumer.js';
import { ConfirmPublisher } from './publisher.js';

export interface RabbitmqChannelOptions {
  /** The Broker's name (`<namespace>.<name>`), for logs, status and wrapped events. */
  name: string;
  url: string;
  /** The Broker's exchange; declared (durable) if missing. */
  exchange: string;
  /** `topic` (default; routing key = event type) or `headers` (binds on nothing: every event). */
  exchangeType?: 'topic' | 'headers';
  /** Trigger queues are named `<queuePrefix>.<subscription name>`; default the exchange name. */
  queuePrefix?: string;
  /** Extra arguments for Trigger queues, e.g. `{ 'x-queue-type': 'quorum' }`. */
  queueArguments?: Record<string, unknown>;
  mode?: ContentMode;
  stopGraceMs?: number;
  reconnect?: ReconnectOptions;
}

export class RabbitmqChannel implements Channel {
  readonly kind = 'rabbitmq';
  readonly durable = true;
  private readonly keeper: AmqpConnectionKeeper;
  private publisher: ConfirmPublisher | undefined;
  private readonly subscriptions = new Set<QueueConsumer>();
  private started: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: RabbitmqChannelOptions) {
    if (options.exchange === '') {
      throw new ConfigError(`RabbitMQ channel ${options.name}: exchange is empty`, [
        { path: 'spec.exchange', message: 'an exchange name is required' },
      ]);
    }
    this.keeper = new AmqpConnectionKeeper({
      url: options.url,
      label: `RabbitMQ channel ${options.name} (${redactUrl(options.url)}, exchange "${options.exchange}")`,
      reconnect: options.reconnect,
      setup: (model) => this.setup(model),
    });
  }

  async publish(event: MeshEvent): Promise<void> {
    this.started ??= this.keeper.start();
    await this.started;
    if (this.publisher === undefined || !this.publisher.isOpen()) {
      this.keeper.current(); // throws NotConnectedError while reconnecting
      // The connection lives but the broker closed our channel: start over.
      this.keeper.fail('publish channel closed');
      throw new NotConnectedError(
        `RabbitMQ channel ${this.options.name}: publish channel closed, reconnecting`,
      );
    }
    const msg = toAmqpMessage(event, this.options.mode ?? 'binary');
    const type = event.attributes.type;
    await this.publisher!.publish(this.options.exchange, typeof type === 'string' ? type : '', msg.content, {
      ...msg.properties,
      mandatory: false,
    });
  }

  async subscribe(options: SubscriptionOptions, handler: DeliveryHandler): Promise<ChannelSubscription> {
    const { exchange } = this.options;
    const queue = `${this.options.queuePrefix ?? exchange}.${options.name}`;
    const exchangeType = this.options.exchangeType ?? 'topic';
    const consumer = new QueueConsumer({
      url: this.options.url,
      queue,
      maxInFlight: options.maxInFlight,
      ordered: options.ordered,
      wrap: { sourceName: this.options.name },
      stopGraceMs: this.options.stopGraceMs,
      reconnect: this.options.reconnect,
      // A new Trigger's queue starts empty, so it sees events from now on ('latest').
      declare: async (ch) => {
        await ch.assertExchange(exchange, exchangeType, { durable: true });
        await ch.assertQueue(queue, { durable: true, arguments: this.options.queueArguments });
        await ch.bindQueue(queue, exchange, exchangeType === 'topic' ? '#' : '');
      },
    });
    await consumer.start(handler);
    this.subscriptions.add(consumer);
    return {
      close: async () => {
        this.subscriptions.delete(consumer);
        await consumer.stop();
      },
      backlog: () => undefined,
    };
  }

  status(): ComponentStatus {
    if (this.closed) return { state: 'stopped' };
    if (this.started === undefined) return { state: 'ready' };
    return this.keeper.status();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    this.subscriptions.clear();
    await this.keeper.close();
  }

  private async setup(model: ChannelModel): Promise<void> {
    const channel = await model.createConfirmChannel();
    channel.on('error', () => {});
    await channel.assertExchange(this.options.exchange, this.options.exchangeType ?? 'topic', {
      durable: true,
    });
    this.publisher = new ConfirmPublisher(channel, `RabbitMQ channel ${this.options.name}`);
  }
}
