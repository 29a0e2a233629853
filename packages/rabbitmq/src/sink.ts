/**
 * RabbitmqSink: writes events to an exchange (or, through the default exchange, straight to a
 * queue). `send` resolves on the publisher confirm of a persistent, mandatory message: the
 * broker has routed it to at least one queue and, for durable queues, written it to disk.
 */
import {
  type ComponentStatus,
  type MeshEvent,
  MeshgateError,
  NotConnectedError,
  type Sink,
} from '@meshgate/core';
import type { ChannelModel } from 'amqplib';
import { type ContentMode, toAmqpMessage } from './binding.js';
import { AmqpConnectionKeeper, type ReconnectOptions, redactUrl } from './connection.js';
import { ConfirmPublisher, describeTarget, PublishError } from './publisher.js';

export interface RabbitmqSinkOptions {
  /** Component name, for logs and status. */
  name: string;
  url: string;
  /** Target exchange; `''` (the default exchange) with `routingKey` = a queue name writes to that queue. */
  exchange: string;
  /**
   * Routing key: a fixed string, or a function of the event. Default: the event's `type`
   * (what a topic exchange routes on).
   */
  routingKey?: string | ((event: MeshEvent) => string);
  /** CloudEvents content mode; default `binary`. */
  mode?: ContentMode;
  reconnect?: ReconnectOptions;
}

export class RabbitmqSink implements Sink {
  readonly name: string;
  private readonly keeper: AmqpConnectionKeeper;
  private publisher: ConfirmPublisher | undefined;
  private opening: Promise<ConfirmPublisher> | undefined;
  private started = false;
  private closed = false;

  constructor(private readonly options: RabbitmqSinkOptions) {
    this.name = options.name;
    this.keeper = new AmqpConnectionKeeper({
      url: options.url,
      label: `RabbitmqSink ${options.name} (${redactUrl(options.url)})`,
      reconnect: options.reconnect,
      setup: async () => {
        this.publisher = undefined;
      },
    });
  }

  async send(event: MeshEvent): Promise<void> {
    if (this.closed) throw new MeshgateError('NOT_CONNECTED', `RabbitmqSink ${this.name} is closed`);
    const { exchange } = this.options;
    const routingKey = this.routingKey(event);
    const msg = toAmqpMessage(event, this.options.mode ?? 'binary');
    const publisher = await this.ready();
    await publisher.publish(exchange, routingKey, msg.content, msg.properties);
  }

  status(): ComponentStatus {
    if (this.closed) return { state: 'stopped' };
    if (!this.started) return { state: 'starting' };
    return this.keeper.status();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.keeper.close();
  }

  private routingKey(event: MeshEvent): string {
    const rk = this.options.routingKey;
    if (typeof rk === 'string') return rk;
    if (typeof rk === 'function') return rk(event);
    const type = event.attributes.type;
    return typeof type === 'string' ? type : '';
  }

  /** The confirm channel, opened (and the exchange checked) on first use and after a loss. */
  private async ready(): Promise<ConfirmPublisher> {
    if (this.publisher?.isOpen()) return this.publisher;
    this.opening ??= this.open().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async open(): Promise<ConfirmPublisher> {
    if (!this.started) {
      this.started = true;
      await this.keeper.start();
    }
    let model: ChannelModel;
    try {
      model = this.keeper.current();
    } catch (err) {
      throw err instanceof NotConnectedError ? err : new NotConnectedError(String(err));
    }
    const channel = await model.createConfirmChannel();
    const label = `RabbitmqSink ${this.name}`;
    const publisher = new ConfirmPublisher(channel, label);
    const { exchange } = this.options;
    if (exchange !== '') {
      // checkExchange closes the channel when the exchange is missing: a clear error up front.
      try {
        await channel.checkExchange(exchange);
      } catch (err) {
        throw new PublishError(
          'NOT_FOUND',
          `${label}: ${describeTarget(exchange, '*')} does not exist on ${redactUrl(this.options.url)}`,
          { cause: err },
        );
      }
    }
    this.publisher = publisher;
    return publisher;
  }
}
