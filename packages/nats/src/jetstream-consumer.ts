/**
 * Consumes a JetStream durable consumer and turns each message into a Delivery: the work shared
 * by NatsSource (JetStream) and the per-Trigger subscriptions of NatsChannel.
 *
 * - `max_ack_pending` is the in-flight window (1 in ordered mode: stream order, also across naks);
 * - ack after the router acks; nack → `nak(delay)`; while a delivery is out, `working()` is sent
 *   every half `ack_wait` so that a long delivery is not redelivered under the router's feet;
 * - after `maxDeliveries` attempts a nack terminates the message (`term`), after copying it to the
 *   dead-letter subject when one is configured; the consumer's own `max_deliver` is unlimited, so
 *   JetStream never gives up on a message silently;
 * - a message claiming to be a CloudEvent that is not a valid one goes to the dead-letter subject
 *   (then `term`) when configured, otherwise it is wrapped;
 * - `stop` waits for in-flight deliveries, then naks what is left so that the next instance gets
 *   it at once instead of after `ack_wait`.
 */
import {
  type ComponentStatus,
  ConfigError,
  type Delivery,
  type DeliveryHandler,
  type MeshEvent,
} from '@meshgate/core';
import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerMessages,
  DeliverPolicy,
  type JsMsg,
  type MsgHdrs,
  type NatsConnection,
  nanos,
} from 'nats';
import { fromNatsMessage, type NatsHeaderRecord, type WrapContext, wrapMessage } from './binding.js';
import { NatsConnectionKeeper, type NatsServers } from './connection.js';
import { natsError } from './errors.js';
import { JetStreamPublisher } from './jetstream-publisher.js';
import { toMsgHdrs } from './sink.js';

/** How long a dead-letter publish waits for its PubAck (nats.js's default for js.publish). */
const DEAD_LETTER_TIMEOUT_MS = 5_000;

export interface JetStreamConsumerOptions {
  /** Names the component in errors and status. */
  label: string;
  servers: NatsServers;
  stream: string;
  /** Durable consumer name: instances with the same name share progress. */
  durable: string;
  /** Only messages on these subjects (default: the whole stream). */
  filterSubject?: string;
  maxInFlight: number;
  ordered?: boolean;
  /** Where a new durable consumer starts: `earliest` (whole stream) or `latest` (new messages). */
  startFrom: 'earliest' | 'latest';
  /** How long JetStream waits for an ack before redelivering; default 30 s. */
  ackWaitMs?: number;
  /** Deliveries after which a nack terminates the message; default unlimited. */
  maxDeliveries?: number;
  /** JetStream subject that gets poison messages and messages past `maxDeliveries`. */
  deadLetterSubject?: string;
  wrap: Omit<WrapContext, 'messageId' | 'time'>;
  stopGraceMs?: number;
  /**
   * Lifetime of each pull request; default 5 s. A request outlives a stopped instance on the
   * server (2.9 keeps serving it), so what `stop` hands back is nak'ed with a delay just past it.
   */
  pullExpiresMs?: number;
}

export function headerRecord(h: MsgHdrs | undefined): NatsHeaderRecord | undefined {
  if (h === undefined) return undefined;
  const out: NatsHeaderRecord = {};
  for (const k of h.keys()) out[k] = h.get(k);
  return out;
}

/** JetStream names may not contain `.`, `*`, `>`, whitespace or path separators. */
export function jetStreamName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_');
}

export class JetStreamConsumer {
  private readonly keeper: NatsConnectionKeeper;
  private messages: ConsumerMessages | undefined;
  private handler: DeliveryHandler | undefined;
  /** Deliveries out: when each was handed out, and how to give it back on stop. */
  private readonly outstanding = new Map<JsMsg, { since: number; release: () => void }>();
  private workingTimer: NodeJS.Timeout | undefined;
  private idleWaiters: Array<() => void> = [];
  private stopping = false;

  constructor(private readonly options: JetStreamConsumerOptions) {
    if (!Number.isInteger(options.maxInFlight) || options.maxInFlight < 1) {
      throw new ConfigError(`${options.label}: maxInFlight must be a positive integer`, [
        { path: 'spec.maxInFlight', message: `got ${options.maxInFlight}` },
      ]);
    }
    this.keeper = new NatsConnectionKeeper({
      servers: options.servers,
      label: `${options.label} (stream "${options.stream}", consumer "${options.durable}")`,
      setup: (nc) => this.setup(nc),
    });
  }

  async start(handler: DeliveryHandler): Promise<void> {
    this.handler = handler;
    await this.keeper.start();
  }

  status(): ComponentStatus {
    return this.keeper.status();
  }

  /** Un-acked messages of this durable consumer, from the server. */
  async pending(): Promise<number | undefined> {
    try {
      const nc = this.keeper.current();
      const info = await (await nc.jetstreamManager()).consumers.info(
        this.options.stream,
        this.options.durable,
      );
      return info.num_pending + info.num_ack_pending;
    } catch {
      return undefined;
    }
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.messages?.stop();
    await this.waitIdle(this.options.stopGraceMs ?? 5000);
    clearInterval(this.workingTimer);
    for (const { release } of [...this.outstanding.values()]) release();
    try {
      await this.keeper.current().flush();
    } catch {
      // Not connected: the server redelivers after ack_wait.
    }
    await this.keeper.close();
  }

  private waitIdle(ms: number): Promise<void> {
    if (this.outstanding.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private async setup(nc: NatsConnection): Promise<void> {
    const o = this.options;
    const window = o.ordered === true ? 1 : o.maxInFlight;
    const ackWait = nanos(o.ackWaitMs ?? 30_000);
    const jsm = await nc.jetstreamManager();
    try {
      const info = await jsm.consumers.info(o.stream, o.durable).catch((err: unknown) => {
        if (/consumer not found/i.test(String((err as Error).message))) return undefined;
        throw err;
      });
      if (info === undefined) {
        const config: Partial<ConsumerConfig> = {
          durable_name: o.durable,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: o.startFrom === 'latest' ? DeliverPolicy.New : DeliverPolicy.All,
          max_ack_pending: window,
          ack_wait: ackWait,
          max_deliver: -1,
        };
        if (o.filterSubject !== undefined) config.filter_subject = o.filterSubject;
        await jsm.consumers.add(o.stream, config);
      } else if (info.config.max_ack_pending !== window || info.config.ack_wait !== ackWait) {
        await jsm.consumers.update(o.stream, o.durable, { max_ack_pending: window, ack_wait: ackWait });
      }
    } catch (err) {
      throw natsError(o.label, `stream "${o.stream}" consumer "${o.durable}"`, err);
    }
    // Tell JetStream that deliveries out for a while are still being worked on, so that it does
    // not redeliver them under the router's feet. One sweep per consumer, not a timer per message.
    const halfAckWait = Math.max(100, (o.ackWaitMs ?? 30_000) / 2);
    clearInterval(this.workingTimer);
    this.workingTimer = setInterval(() => {
      const cutoff = performance.now() - halfAckWait / 2;
      for (const [m, out] of this.outstanding) if (out.since < cutoff) safely(() => m.working());
    }, halfAckWait);
    this.workingTimer.unref();
    const consumer = await nc.jetstream().consumers.get(o.stream, o.durable);
    this.messages = await consumer.consume({
      max_messages: window,
      expires: this.pullExpiresMs(),
      callback: (m) => this.onMessage(m),
    });
  }

  private pullExpiresMs(): number {
    return Math.max(1000, this.options.pullExpiresMs ?? 5000);
  }

  private onMessage(m: JsMsg): void {
    if (this.stopping) {
      safely(() => m.nak(this.pullExpiresMs() + 250));
      return;
    }
    const o = this.options;
    // Only a wrapped message needs these; most messages are CloudEvents already.
    const ctx = (): WrapContext => {
      const info = m.info;
      return {
        ...o.wrap,
        messageId: `${info.stream}:${info.streamSequence}`,
        time: new Date(Math.floor(info.timestampNanos / 1e6)).toISOString(),
      };
    };
    const incoming = { subject: m.subject, data: m.data, headers: headerRecord(m.headers) };
    let event: MeshEvent;
    try {
      event = fromNatsMessage(incoming, ctx).event;
    } catch (caught) {
      // Whatever the decoder throws, the message is poison; a throw here would crash the process.
      const reason = caught instanceof Error ? caught.message : String(caught);
      if (o.deadLetterSubject !== undefined) {
        void this.deadLetter(m, reason);
        return;
      }
      event = wrapMessage(incoming, ctx());
    }
    this.deliver(m, event);
  }

  private deliver(m: JsMsg, event: MeshEvent): void {
    const o = this.options;
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      this.outstanding.delete(m);
      if (this.outstanding.size === 0) this.notifyIdle();
      return true;
    };
    // On stop: back to the stream once this instance's last pull request has expired, so that
    // the server cannot hand it to that dead request (which would cost a whole ack_wait).
    this.outstanding.set(m, {
      since: performance.now(),
      release: () => {
        if (settle()) safely(() => m.nak(this.pullExpiresMs() + 250));
      },
    });
    const delivery: Delivery = {
      event,
      origin: `${m.info.stream}/${m.info.consumer}@${m.info.streamSequence}`,
      redeliveries: m.info.deliveryCount - 1,
      ack: () => {
        if (settle()) safely(() => m.ack());
      },
      nack: (reason, delayMs) => {
        if (!settle()) return;
        if (o.maxDeliveries !== undefined && m.info.deliveryCount >= o.maxDeliveries) {
          if (o.deadLetterSubject !== undefined) void this.deadLetter(m, reason.message);
          else safely(() => m.term(`meshgate: ${o.maxDeliveries} deliveries failed: ${reason.message}`));
          return;
        }
        safely(() => m.nak(delayMs !== undefined && delayMs > 0 ? delayMs : undefined));
      },
    };
    try {
      this.handler?.(delivery);
    } catch (err) {
      // A throwing handler must not take the consumer down: the delivery goes back for later.
      delivery.nack(err instanceof Error ? err : new Error(String(err)), 1000);
    }
  }

  /** Copies the message, as it is, to the dead-letter subject (PubAck), then terminates it. */
  private async deadLetter(m: JsMsg, reason: string): Promise<void> {
    const o = this.options;
    const headers = toMsgHdrs({
      ...(headerRecord(m.headers) ?? {}),
      'Meshgate-Error': reason.replace(/[\r\n]/g, ' ').slice(0, 1000),
    });
    try {
      await JetStreamPublisher.of(this.keeper.current()).publish(o.deadLetterSubject!, m.data, {
        headers,
        msgID: `${m.info.stream}:${m.info.streamSequence}:dead`,
        timeoutMs: DEAD_LETTER_TIMEOUT_MS,
      });
      safely(() => m.term(reason.slice(0, 200)));
    } catch {
      // Not dead-lettered: try again later rather than lose it.
      safely(() => m.nak(1000));
    }
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

/** Settling on a closed connection throws; the server redelivers after ack_wait anyway. */
function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // see above
  }
}
