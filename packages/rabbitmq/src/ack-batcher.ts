/**
 * Coalesces `basic.ack` frames for one AMQP channel. Acks given in the same turn of the event
 * loop (publisher confirms, which release them, arrive in batches) go out as one `multiple` ack
 * for the contiguous run of settled delivery tags; acks above a gap (a delivery still out, or
 * nacked) go out one by one at once, so a held delivery never delays another's ack.
 *
 * Delivery tags of a channel count up from 1, one per delivery, so "every tag up to N is
 * settled" is what a `multiple` ack up to N needs. Nacked tags are no longer outstanding on the
 * broker; the multiple ack is sent up to the highest *acked* tag of the run.
 *
 * @see https://www.rabbitmq.com/docs/confirms#consumer-acks-multiple-parameter
 */
import type { Channel, Message } from 'amqplib';

export class AckBatcher {
  /** Every tag at or below the floor is settled and its ack (if any) sent. */
  private floor = 0;
  /** Acked by the handler, ack not sent yet. */
  private readonly pending = new Map<number, Message>();
  /** Settled above the floor without a pending ack (nacked, or acked one by one). */
  private readonly done = new Set<number>();
  private scheduled = false;

  constructor(private readonly channel: Channel) {}

  ack(msg: Message): void {
    this.pending.set(msg.fields.deliveryTag, msg);
    this.schedule();
  }

  /** The tag was settled by other means (a nack); the floor may move past it. */
  settledOtherwise(tag: number): void {
    this.done.add(tag);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Sends what is pending: one multiple ack for the contiguous run, single acks above it. */
  flush(): void {
    this.scheduled = false;
    let tag = this.floor;
    let lastAcked: Message | undefined;
    let acks = 0;
    for (;;) {
      const next = tag + 1;
      const msg = this.pending.get(next);
      if (msg !== undefined) {
        this.pending.delete(next);
        lastAcked = msg;
        acks += 1;
      } else if (!this.done.delete(next)) break;
      tag = next;
    }
    this.floor = tag;
    try {
      if (lastAcked !== undefined) this.channel.ack(lastAcked, acks > 1);
      for (const [t, msg] of this.pending) {
        this.channel.ack(msg, false);
        this.done.add(t);
      }
    } catch {
      // The channel is closed: the broker redelivers everything un-acked.
    }
    this.pending.clear();
  }
}
