/**
 * RabbitmqSource: reads a queue into the router, at least once. The prefetch count is the
 * in-flight window; a message is acked only after the router acks its delivery (delivered or
 * dead-lettered by the Trigger), and requeued on nack. See consumer.ts for the details.
 */
import type { ComponentStatus, DeliveryHandler, Source } from '@meshgate/core';
import { BacklogReader, ConfigError } from '@meshgate/core';
import type { ConfirmChannel } from 'amqplib';
import type { ReconnectOptions } from './connection.js';
import { type DeadLetterTarget, QueueConsumer } from './consumer.js';

export interface RabbitmqSourceOptions {
  /** Component name (the RabbitmqSource's metadata.name), for logs, status and wrapped events. */
  name: string;
  /** Knative-style namespace, for the `source` attribute of wrapped messages; default `default`. */
  namespace?: string;
  url: string;
  /** The queue to consume; it must exist unless `declare` is given. */
  queue: string;
  /**
   * Declare the queue (durable) on every (re)connect, and bind it to `exchange` (a durable topic
   * exchange, declared when missing) with `routingKey` (default `#`). Absent: predeclared.
   */
  declare?: { exchange?: string; routingKey?: string };
  /** Un-acked messages at once (the AMQP prefetch count); default 100. */
  maxInFlight?: number;
  /** Hand out one message at a time, in queue order; default false. */
  ordered?: boolean;
  /** Where messages that are not valid CloudEvents go; without one they are wrapped. */
  deadLetter?: DeadLetterTarget;
  /** How long `stop` waits for in-flight deliveries; default 5 s. */
  stopGraceMs?: number;
  reconnect?: ReconnectOptions;
}

export class RabbitmqSource implements Source {
  readonly name: string;
  private readonly consumer: QueueConsumer;
  private readonly backlogReader = new BacklogReader(() => this.consumer.backlog());

  constructor(options: RabbitmqSourceOptions) {
    const maxInFlight = options.maxInFlight ?? 100;
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1 || maxInFlight > 65535) {
      throw new ConfigError(`RabbitmqSource ${options.name}: maxInFlight must be an integer in 1..65535`, [
        { path: 'spec.maxInFlight', message: `got ${maxInFlight}` },
      ]);
    }
    if (options.queue === '') {
      throw new ConfigError(`RabbitmqSource ${options.name}: queue is empty`, [
        { path: 'spec.queue', message: 'a queue name is required' },
      ]);
    }
    this.name = options.name;
    this.consumer = new QueueConsumer({
      url: options.url,
      queue: options.queue,
      maxInFlight,
      ordered: options.ordered,
      deadLetter: options.deadLetter,
      wrap: { sourceName: options.name, namespace: options.namespace },
      stopGraceMs: options.stopGraceMs,
      reconnect: options.reconnect,
      ...(options.declare !== undefined && { declare: declareQueue(options.queue, options.declare) }),
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

  /** Messages in the queue plus those in flight here, as of the last reading (every 5 s). */
  backlog(): number | undefined {
    return this.backlogReader.value;
  }

  status(): ComponentStatus {
    return this.consumer.status();
  }
}

/** Knative's `predeclared: false`: the queue, and its exchange and binding when one is named. */
function declareQueue(
  queue: string,
  spec: NonNullable<RabbitmqSourceOptions['declare']>,
): (channel: ConfirmChannel) => Promise<void> {
  return async (channel) => {
    await channel.assertQueue(queue, { durable: true });
    if (spec.exchange === undefined) return;
    await channel.assertExchange(spec.exchange, 'topic', { durable: true });
    await channel.bindQueue(queue, spec.exchange, spec.routingKey ?? '#');
  };
}
