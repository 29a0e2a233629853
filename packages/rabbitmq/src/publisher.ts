/**
 * Publishing with publisher confirms and the mandatory flag on one confirm channel.
 *
 * A publish resolves on the broker's basic.ack. With `mandatory`, a message no queue takes comes
 * back as basic.return *before* its ack (RabbitMQ orders them so); the publish then rejects
 * instead of resolving, so an unroutable message is an error, not silence.
 *
 * @see https://www.rabbitmq.com/docs/confirms#when-publishes-are-confirmed
 */
import { MeshgateError, NotConnectedError } from '@meshgate/core';
import type { ConfirmChannel, Message, Options } from 'amqplib';

interface Pending {
  exchange: string;
  routingKey: string;
  messageId: string | undefined;
  returned: boolean;
}

/** The broker refused or could not route a publish; names the exchange and routing key. */
export class PublishError extends MeshgateError {}

export function describeTarget(exchange: string, routingKey: string): string {
  return exchange === ''
    ? `queue "${routingKey}" (default exchange)`
    : `exchange "${exchange}" (routing key "${routingKey}")`;
}

export class ConfirmPublisher {
  /** Publishes awaiting their confirm, in publish order (a Set keeps insertion order). */
  private readonly pending = new Set<Pending>();
  private closeReason: string | undefined;
  private closed = false;

  constructor(
    readonly channel: ConfirmChannel,
    private readonly label: string,
  ) {
    channel.on('return', (msg: Message) => this.onReturn(msg));
    channel.on('error', (err: Error) => {
      this.closeReason = err.message;
    });
    channel.on('close', () => {
      this.closed = true;
    });
  }

  isOpen(): boolean {
    return !this.closed;
  }

  /**
   * Resolves on the broker's confirm; rejects with a MeshgateError naming the target otherwise.
   * `mandatory` defaults to true (unroutable is an error); pass false to accept it.
   */
  publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void> {
    if (this.closed) {
      return Promise.reject(
        new NotConnectedError(
          `${this.label}: channel closed${this.closeReason ? ` (${this.closeReason})` : ''}`,
        ),
      );
    }
    const entry: Pending = {
      exchange,
      routingKey,
      messageId: typeof options.messageId === 'string' ? options.messageId : undefined,
      returned: false,
    };
    this.pending.add(entry);
    return new Promise<void>((resolve, reject) => {
      const done = (err: unknown) => {
        this.pending.delete(entry);
        if (err) reject(this.publishError(exchange, routingKey, err));
        else if (entry.returned && options.mandatory !== false) {
          reject(
            new PublishError(
              'NOT_FOUND',
              `${this.label}: unroutable message to ${describeTarget(exchange, routingKey)}: no queue is bound for it`,
            ),
          );
        } else resolve();
      };
      try {
        this.channel.publish(exchange, routingKey, content, { mandatory: true, ...options }, done);
      } catch (err) {
        done(err);
      }
    });
  }

  private onReturn(msg: Message): void {
    // A return precedes the message's confirm, so the earliest unconfirmed publish to the same
    // target (and id, when it has one) is the one returned.
    const id = msg.properties.messageId;
    for (const p of this.pending) {
      if (
        !p.returned &&
        p.exchange === msg.fields.exchange &&
        p.routingKey === msg.fields.routingKey &&
        (p.messageId === undefined || p.messageId === id)
      ) {
        p.returned = true;
        return;
      }
    }
  }

  private publishError(exchange: string, routingKey: string, err: unknown): MeshgateError {
    const reason = this.closeReason ?? (err instanceof Error ? err.message : String(err));
    const target = describeTarget(exchange, routingKey);
    if (/NOT_FOUND/.test(reason)) {
      return new PublishError('NOT_FOUND', `${this.label}: ${target} does not exist (${reason})`, {
        cause: err,
      });
    }
    if (/ACCESS_REFUSED/.test(reason)) {
      // The user may not write there (its permissions): trying again will not help.
      return new PublishError(
        'DELIVERY_FAILED',
        `${this.label}: the broker refused access to ${target} (${reason})`,
        { retriable: false, cause: err },
      );
    }
    if (/nack/i.test(reason) && this.closeReason === undefined) {
      return new PublishError(
        'DELIVERY_FAILED',
        `${this.label}: the broker refused the message for ${target}`,
        {
          retriable: true,
          cause: err,
        },
      );
    }
    return new NotConnectedError(`${this.label}: publish to ${target} failed: ${reason}`, { cause: err });
  }
}
