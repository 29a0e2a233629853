/**
 * One AMQP connection kept up with backoff. Components register a `setup` that (re)creates
 * their channels and consumers on every new connection; while the connection is down the keeper
 * reports `degraded` and retries with exponential backoff, until closed.
 */
import { type ComponentStatus, NotConnectedError } from '@meshgate/core';
import amqp, { type ChannelModel } from 'amqplib';

export interface ReconnectOptions {
  /** First retry delay; default 200 ms. */
  initialDelayMs?: number;
  /** Longest retry delay; default 10 s. */
  maxDelayMs?: number;
}

export interface AmqpConnectionOptions {
  /** `amqp://user:pass@host:port/vhost`. */
  url: string;
  /** Names the connection in errors and status; never includes the password. */
  label: string;
  reconnect?: ReconnectOptions;
  /** Runs on every new connection; a throw counts as a failed attempt and is retried. */
  setup: (model: ChannelModel) => Promise<void>;
}

/** `amqp://user:***@host/vhost`: a URL safe to log. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}

export class AmqpConnectionKeeper {
  private model: ChannelModel | undefined;
  private state: ComponentStatus = { state: 'starting' };
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private firstAttempt: Promise<void> | undefined;

  constructor(private readonly options: AmqpConnectionOptions) {}

  /** Connects; resolves after the first attempt, successful or not (failures are retried). */
  start(): Promise<void> {
    this.firstAttempt ??= this.connect();
    return this.firstAttempt;
  }

  /** The live connection, or a NotConnectedError naming the connection. */
  current(): ChannelModel {
    if (this.model === undefined) {
      throw new NotConnectedError(
        `RabbitMQ connection ${this.options.label} is not connected${this.state.reason ? `: ${this.state.reason}` : ''}`,
      );
    }
    return this.model;
  }

  isConnected(): boolean {
    return this.model !== undefined;
  }

  status(): ComponentStatus {
    return { ...this.state };
  }

  /** Marks the current connection as unusable (e.g. its setup failed later) and reconnects. */
  fail(reason: string): void {
    const model = this.model;
    this.lost(reason);
    if (model !== undefined) void model.close().catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const model = this.model;
    this.model = undefined;
    this.state = { state: 'stopped' };
    if (model !== undefined) await model.close().catch(() => {});
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    let model: ChannelModel | undefined;
    try {
      // Nagle's algorithm would hold back small frames (acks, confirms) and cap throughput.
      model = await amqp.connect(this.options.url, {
        noDelay: true,
        clientProperties: { connection_name: `meshgate ${this.options.label}` },
      });
      if (this.closed) {
        await model.close().catch(() => {});
        return;
      }
      const m = model;
      // 'error' precedes 'close'; handling both keeps an unhandled 'error' from crashing the process.
      m.on('error', () => {});
      m.on('close', (err?: Error) => {
        if (this.model === m) this.lost(err ? err.message : 'connection closed');
      });
      this.model = m;
      await this.options.setup(m);
      this.attempt = 0;
      this.state = { state: 'ready' };
    } catch (err) {
      const reason = `${this.options.label}: ${err instanceof Error ? err.message : String(err)}`;
      if (model !== undefined) {
        if (this.model === model) this.model = undefined;
        await model.close().catch(() => {});
      }
      this.schedule(reason);
    }
  }

  private lost(reason: string): void {
    this.model = undefined;
    if (this.closed) return;
    this.schedule(reason);
  }

  private schedule(reason: string): void {
    if (this.closed || this.timer !== undefined) return;
    this.state = { state: 'degraded', reason };
    const initial = this.options.reconnect?.initialDelayMs ?? 200;
    const max = this.options.reconnect?.maxDelayMs ?? 10_000;
    const delay = Math.min(max, initial * 2 ** this.attempt) * (0.8 + Math.random() * 0.4);
    this.attempt += 1;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, delay);
  }
}
