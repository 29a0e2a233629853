/**
 * JetStream publishes with their PubAcks, many in flight on one connection. A JetStream publish is
 * a core publish whose reply subject receives the stream's PubAck (JSON) or, when no stream
 * captures the subject, a 503 "no responders" status.
 *
 * Why not `js.publish`: nats.js runs each one through its generic request machinery. That means
 * a timer, a promise chain and a mux entry per message, plus a "Cancelled" NatsError (a stack
 * trace) built after every successful request. Those were most of the remaining CPU of the NATS
 * bridge benchmark. Here one wildcard subscription takes every PubAck of the connection, and one
 * sweep timer runs only while publishes wait.
 *
 * @see https://docs.nats.io/reference/reference-protocols/nats_api_reference#acknowledging-messages
 */
import {
  createInbox,
  headers as natsHeaders,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from 'nats';

/** What the stream answered. */
export interface PubAck {
  stream: string;
  seq: number;
  /** The stream already had this `Nats-Msg-Id` within its duplicate window. */
  duplicate: boolean;
}

/** An error shaped like nats.js's, so `natsError` maps it the same way (code and message). */
export class JetStreamPublishError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'JetStreamPublishError';
  }
}

interface Pending {
  resolve(ack: PubAck): void;
  reject(err: Error): void;
  deadline: number;
}

const SWEEP_MS = 100;
const publishers = new WeakMap<NatsConnection, JetStreamPublisher>();

export class JetStreamPublisher {
  private readonly inbox = createInbox();
  private readonly pending = new Map<string, Pending>();
  private readonly subscription: Subscription;
  private sweeper: NodeJS.Timeout | undefined;
  private next = 0;
  private closedReason: string | undefined;

  /** The publisher of a connection (one reply subscription per connection). */
  static of(nc: NatsConnection): JetStreamPublisher {
    let p = publishers.get(nc);
    if (p === undefined) {
      p = new JetStreamPublisher(nc);
      publishers.set(nc, p);
    }
    return p;
  }

  private constructor(private readonly nc: NatsConnection) {
    this.subscription = nc.subscribe(`${this.inbox}.*`, { callback: (_err, msg) => this.onReply(msg) });
    void nc.closed().then((err) => this.failAll(`connection closed${err ? `: ${err.message}` : ''}`));
  }

  /** Resolves with the PubAck; rejects with a JetStreamPublishError (codes as nats.js uses them). */
  publish(
    subject: string,
    data: Uint8Array,
    options: { headers?: MsgHdrs | undefined; msgID?: string; timeoutMs: number },
  ): Promise<PubAck> {
    if (this.closedReason !== undefined)
      return Promise.reject(new JetStreamPublishError(this.closedReason, 'CONNECTION_CLOSED'));
    let headers = options.headers;
    if (options.msgID !== undefined) {
      headers ??= natsHeaders();
      headers.set('Nats-Msg-Id', options.msgID);
    }
    const token = (this.next++).toString(36);
    return new Promise<PubAck>((resolve, reject) => {
      try {
        this.nc.publish(subject, data, { reply: `${this.inbox}.${token}`, ...(headers && { headers }) });
      } catch (err) {
        reject(err as Error);
        return;
      }
      this.pending.set(token, { resolve, reject, deadline: Date.now() + options.timeoutMs });
      this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
    });
  }

  private onReply(msg: Msg): void {
    const token = msg.subject.slice(this.inbox.length + 1);
    const entry = this.pending.get(token);
    if (entry === undefined) return; // timed out already
    this.pending.delete(token);
    if (msg.headers?.hasError) {
      const code = String(msg.headers.code);
      entry.reject(
        new JetStreamPublishError(code === '503' ? 'no responders' : msg.headers.description || code, code),
      );
      return;
    }
    let answer: {
      stream?: string;
      seq?: number;
      duplicate?: boolean;
      error?: { code?: number; description?: string };
    };
    try {
      answer = msg.json();
    } catch {
      entry.reject(new JetStreamPublishError('the PubAck is not JSON', 'BAD_JSON'));
      return;
    }
    if (answer.error !== undefined) {
      const e = answer.error;
      entry.reject(new JetStreamPublishError(e.description ?? `error ${e.code}`, String(e.code ?? '')));
      return;
    }
    entry.resolve({
      stream: answer.stream ?? '',
      seq: answer.seq ?? 0,
      duplicate: answer.duplicate === true,
    });
  }

  /** Rejects what waited past its deadline (the reply may still come: it is then ignored). */
  private sweep(): void {
    const now = Date.now();
    for (const [token, entry] of this.pending) {
      if (entry.deadline > now) continue;
      this.pending.delete(token);
      entry.reject(new JetStreamPublishError('timeout', 'TIMEOUT'));
    }
    if (this.pending.size === 0 && this.sweeper !== undefined) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private failAll(reason: string): void {
    this.closedReason = reason;
    for (const entry of this.pending.values())
      entry.reject(new JetStreamPublishError(reason, 'CONNECTION_CLOSED'));
    this.pending.clear();
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.sweeper = undefined;
    try {
      this.subscription.unsubscribe();
    } catch {
      // the connection is closed: nothing left to unsubscribe from
    }
  }
}
