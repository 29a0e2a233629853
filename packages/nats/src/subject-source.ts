/**
 * NatsSubjectSource: a core NATS subject into the router, **at most once**. Core NATS keeps no
 * message: what arrives while the gateway is down, or what is in flight when it crashes, is
 * lost, and `nack` cannot ask for a redelivery (it is counted, nothing more). Use NatsSource on
 * a JetStream stream for at-least-once.
 *
 * Up to `maxInFlight` deliveries are out at once; further messages wait in a bounded buffer
 * (`maxBuffered`), and what overflows it is dropped and counted in `status().reason`, which is
 * what core NATS itself does to a slow consumer.
 */
import type { ComponentStatus, Delivery, DeliveryHandler, MeshEvent, Source } from '@meshgate/core';
import type { Msg, Subscription } from 'nats';
import { fromNatsMessage, type WrapContext, wrapMessage } from './binding.js';
import { NatsConnectionKeeper, type NatsServers } from './connection.js';
import { headerRecord } from './jetstream-consumer.js';

export interface NatsSubjectSourceOptions {
  name: string;
  namespace?: string;
  servers: NatsServers;
  /** Subject, wildcards allowed. */
  subject: string;
  /** Queue group: replicas share the messages instead of each getting all. */
  queueGroup?: string;
  /** Deliveries out at once; default 100. */
  maxInFlight?: number;
  /** Messages waiting for a free slot before new ones are dropped; default 10,000. */
  maxBuffered?: number;
}

export class NatsSubjectSource implements Source {
  readonly name: string;
  private readonly keeper: NatsConnectionKeeper;
  private subscription: Subscription | undefined;
  private handler: DeliveryHandler | undefined;
  private readonly buffer: Msg[] = [];
  private inFlight = 0;
  private dropped = 0;
  private nacked = 0;

  constructor(private readonly options: NatsSubjectSourceOptions) {
    this.name = options.name;
    this.keeper = new NatsConnectionKeeper({
      servers: options.servers,
      label: `NatsSubjectSource ${options.name} (subject "${options.subject}")`,
      setup: async (nc) => {
        const opts = options.queueGroup === undefined ? {} : { queue: options.queueGroup };
        this.subscription = nc.subscribe(options.subject, {
          ...opts,
          callback: (_err, msg) => this.onMessage(msg),
        });
      },
    });
  }

  async start(handler: DeliveryHandler): Promise<void> {
    this.handler = handler;
    await this.keeper.start();
  }

  async stop(): Promise<void> {
    this.subscription?.unsubscribe();
    this.buffer.length = 0;
    await this.keeper.close();
  }

  status(): ComponentStatus {
    const s = this.keeper.status();
    if (this.dropped === 0 && this.nacked === 0) return s;
    const note = `at most once: ${this.dropped} dropped on overflow, ${this.nacked} nacked and not redelivered`;
    return { ...s, reason: s.reason === undefined ? note : `${s.reason}; ${note}` };
  }

  private onMessage(msg: Msg): void {
    if (this.inFlight < (this.options.maxInFlight ?? 100)) this.deliver(msg);
    else if (this.buffer.length < (this.options.maxBuffered ?? 10_000)) this.buffer.push(msg);
    else this.dropped += 1;
  }

  private deliver(msg: Msg): void {
    const ctx: WrapContext = { sourceName: this.options.name, namespace: this.options.namespace };
    const incoming = { subject: msg.subject, data: msg.data, headers: headerRecord(msg.headers) };
    let event: MeshEvent;
    try {
      event = fromNatsMessage(incoming, ctx).event;
    } catch {
      // Not a valid CloudEvent (or not decodable at all): wrapped, never dropped.
      event = wrapMessage(incoming, ctx);
    }
    this.inFlight += 1;
    let settled = false;
    const settle = () => {
      if (settled) return false;
      settled = true;
      this.inFlight -= 1;
      const next = this.buffer.shift();
      if (next !== undefined) this.deliver(next);
      return true;
    };
    const delivery: Delivery = {
      event,
      origin: msg.subject,
      redeliveries: 0,
      ack: () => {
        settle();
      },
      nack: () => {
        if (settle()) this.nacked += 1;
      },
    };
    try {
      this.handler?.(delivery);
    } catch (err) {
      // A throwing handler must not take the consumer down: the delivery goes back for later.
      delivery.nack(err instanceof Error ? err : new Error(String(err)), 1000);
    }
  }
}
