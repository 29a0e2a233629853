/**
 * The memory Channel: each subscription (one per Trigger) has its own bounded queue and its
 * own in-flight limit, so a slow or dead subscriber never delays another Trigger. Publishing
 * routes the event through an index of the subscribers' filters and queues it only for
 * those that can match.
 *
 * Not durable: queued events are lost when the process stops or crashes. Use a Kafka,
 * RabbitMQ, NATS JetStream or Pub/Sub channel when that matters.
 */
import type {
  Channel,
  ChannelSubscription,
  ComponentStatus,
  Delivery,
  DeliveryHandler,
  SubscriptionOptions,
} from '../contracts.js';
import { OverloadedError } from '../errors.js';
import type { MeshEvent } from '../event/mesh-event.js';
import { TriggerIndex } from '../filter/index.js';
import { Fifo } from './fifo.js';

export interface MemoryChannelOptions {
  /** For messages: `<namespace>/<broker>`. */
  name: string;
  /**
   * How many events may wait in all of this channel's subscription queues together. When a
   * publish would go beyond it, publish rejects with OverloadedError (ingress answers 429).
   */
  capacity: number;
  /** Delay before a nacked event is handed out again, when the nack gives none. */
  redeliveryDelayMs?: number;
}

interface Queued {
  event: MeshEvent;
  redeliveries: number;
}

export class MemoryChannel implements Channel {
  readonly kind = 'memory';
  readonly durable = false;
  private readonly subscriptions = new Set<MemorySubscription>();
  /** Subscriptions with a filter, indexed so one publish does not evaluate every filter. */
  private readonly index = new TriggerIndex<MemorySubscription>();
  /** Subscriptions without a filter get every event. */
  private readonly unfiltered = new Set<MemorySubscription>();
  private buffered = 0;
  private closed = false;
  private nextId = 0;

  constructor(private readonly options: MemoryChannelOptions) {}

  /** Events waiting or in flight across all subscriptions. */
  get size(): number {
    return this.buffered;
  }

  async publish(event: MeshEvent): Promise<void> {
    this.publishNow(event);
  }

  /** Synchronous publish for the ingress hot path; throws OverloadedError when full. */
  publishNow(event: MeshEvent): void {
    if (this.closed) throw new OverloadedError(`channel ${this.options.name} is closed`, 1);
    const targets = this.index.size > 0 ? this.index.match(event) : [];
    const count = targets.length + this.unfiltered.size;
    if (count === 0) return;
    if (this.buffered + count > this.options.capacity) {
      throw new OverloadedError(
        `broker ${this.options.name} is full (${this.buffered} of ${this.options.capacity} events buffered)`,
        1,
      );
    }
    this.buffered += count;
    for (const sub of targets) sub.enqueue(event);
    for (const sub of this.unfiltered) sub.enqueue(event);
  }

  async subscribe(options: SubscriptionOptions, handler: DeliveryHandler): Promise<ChannelSubscription> {
    if (this.closed) throw new Error(`channel ${this.options.name} is closed`);
    const id = `${options.name}#${this.nextId++}`;
    const sub = new MemorySubscription(options, handler, this.options.redeliveryDelayMs ?? 1000, () => {
      this.buffered--;
    });
    this.subscriptions.add(sub);
    if (options.filter) this.index.add(id, options.filter, sub);
    else this.unfiltered.add(sub);
    return {
      close: async () => {
        if (!this.subscriptions.delete(sub)) return;
        if (options.filter) this.index.remove(id);
        else this.unfiltered.delete(sub);
        this.buffered -= sub.close();
      },
      backlog: () => sub.backlog,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const sub of this.subscriptions) this.buffered -= sub.close();
    this.subscriptions.clear();
    this.unfiltered.clear();
  }

  status(): ComponentStatus {
    return this.closed ? { state: 'stopped' } : { state: 'ready' };
  }
}

class MemorySubscription {
  private readonly queue = new Fifo<Queued>();
  private inFlight = 0;
  /** Nacked events waiting for their redelivery delay (they still count as buffered). */
  private waiting = new Set<ReturnType<typeof setTimeout>>();
  private closed = false;
  /** An ordered subscription holds the line while its nacked head event waits. */
  private holding = false;
  private readonly maxInFlight: number;

  constructor(
    private readonly options: SubscriptionOptions,
    private readonly handler: DeliveryHandler,
    private readonly redeliveryDelayMs: number,
    private readonly released: () => void,
  ) {
    // Ordered delivery is one at a time; a nacked event goes back to the head of the queue.
    this.maxInFlight = options.ordered ? 1 : Math.max(1, options.maxInFlight);
  }

  get backlog(): number {
    return this.queue.length + this.inFlight + this.waiting.size;
  }

  enqueue(event: MeshEvent): void {
    this.queue.push({ event, redeliveries: 0 });
    this.pump();
  }

  /** Stops handing out events; returns how many were still held (now dropped). */
  close(): number {
    this.closed = true;
    for (const t of this.waiting) clearTimeout(t);
    const held = this.queue.drain().length + this.inFlight + this.waiting.size;
    this.waiting.clear();
    this.inFlight = 0;
    return held;
  }

  private pump(): void {
    while (!this.closed && !this.holding && this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const item = this.queue.shift() as Queued;
      this.inFlight++;
      this.handler(this.delivery(item));
    }
  }

  private delivery(item: Queued): Delivery {
    let settled = false;
    const settle = (): boolean => {
      if (settled || this.closed) return false;
      settled = true;
      this.inFlight--;
      return true;
    };
    return {
      event: item.event,
      origin: this.options.name,
      redeliveries: item.redeliveries,
      ack: () => {
        if (!settle()) return;
        this.released();
        this.pump();
      },
      nack: (_reason, delayMs) => {
        if (!settle()) return;
        const retry: Queued = { event: item.event, redeliveries: item.redeliveries + 1 };
        if (this.options.ordered) this.holding = true;
        const timer = setTimeout(() => {
          this.waiting.delete(timer);
          if (this.closed) return;
          if (this.options.ordered) {
            this.holding = false;
            this.queue.unshift(retry);
          } else {
            this.queue.push(retry);
          }
          this.pump();
        }, delayMs ?? this.redeliveryDelayMs);
        this.waiting.add(timer);
        this.pump();
      },
    };
  }
}
