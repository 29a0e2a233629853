/**
 * A NATS connection for one component. The first connect is retried here with backoff (so a
 * gateway starts while NATS is down); after that nats.js reconnects by itself, forever, and the
 * keeper follows its status events to report `degraded` while disconnected.
 */
import { type ComponentStatus, NotConnectedError } from '@meshgate/core';
import { connect, type JetStreamClient, type NatsConnection } from 'nats';

const clients = new WeakMap<NatsConnection, JetStreamClient>();

/** The connection's JetStream client, made once (making one per publish costs CPU). */
export function jetStreamOf(nc: NatsConnection): JetStreamClient {
  let js = clients.get(nc);
  if (js === undefined) {
    js = nc.jetstream();
    clients.set(nc, js);
  }
  return js;
}

export interface NatsConnectionOptions {
  /** `nats://host:port`, or several. */
  servers: string | string[];
  /** Names the connection in errors, status and the server's connection list. */
  label: string;
  /** First retry delay of the first connect; default 200 ms, doubling up to `maxDelayMs` (5 s). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Runs once, on the first connection. */
  setup?: (nc: NatsConnection) => Promise<void>;
}

export class NatsConnectionKeeper {
  private nc: NatsConnection | undefined;
  private state: ComponentStatus = { state: 'starting' };
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private first: Promise<void> | undefined;
  private readyWaiters: Array<() => void> = [];

  constructor(private readonly options: NatsConnectionOptions) {}

  /** Resolves after the first attempt, successful or not (failures are retried in the background). */
  start(): Promise<void> {
    this.first ??= this.connect();
    return this.first;
  }

  /** Resolves when connected (and set up), or rejects with NotConnectedError after `ms`. */
  async connected(ms: number): Promise<NatsConnection> {
    await this.start();
    if (this.nc !== undefined && this.state.state === 'ready') return this.nc;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(this.notConnected()), ms);
      this.readyWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return this.current();
  }

  /** The connection when it is up, without waiting (the hot path of a send). */
  ready(): NatsConnection | undefined {
    return this.state.state === 'ready' ? this.nc : undefined;
  }

  current(): NatsConnection {
    if (this.nc === undefined) throw this.notConnected();
    return this.nc;
  }

  status(): ComponentStatus {
    return { ...this.state };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.state = { state: 'stopped' };
    const nc = this.nc;
    this.nc = undefined;
    if (nc !== undefined && !nc.isClosed()) await nc.close().catch(() => {});
  }

  private notConnected(): NotConnectedError {
    return new NotConnectedError(
      `NATS connection ${this.options.label} is not connected${this.state.reason ? `: ${this.state.reason}` : ''}`,
    );
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    let nc: NatsConnection | undefined;
    try {
      nc = await connect({
        servers: this.options.servers,
        name: `meshgate ${this.options.label}`,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
      });
      if (this.closed) {
        await nc.close();
        return;
      }
      await this.options.setup?.(nc);
      this.nc = nc;
      this.state = { state: 'ready' };
      this.watch(nc);
      const waiters = this.readyWaiters;
      this.readyWaiters = [];
      for (const w of waiters) w();
    } catch (err) {
      if (nc !== undefined) await nc.close().catch(() => {});
      this.state = {
        state: 'degraded',
        reason: `${this.options.label}: ${err instanceof Error ? err.message : String(err)}`,
      };
      const initial = this.options.initialDelayMs ?? 200;
      const max = this.options.maxDelayMs ?? 5000;
      const delay = Math.min(max, initial * 2 ** this.attempt);
      this.attempt += 1;
      this.timer = setTimeout(() => void this.connect(), delay);
    }
  }

  private watch(nc: NatsConnection): void {
    void (async () => {
      for await (const s of nc.status()) {
        if (this.closed) return;
        if (s.type === 'disconnect')
          this.state = { state: 'degraded', reason: `${this.options.label}: disconnected` };
        else if (s.type === 'reconnect') this.state = { state: 'ready' };
      }
    })();
    void nc.closed().then((err) => {
      if (this.closed) return;
      this.state = {
        state: 'degraded',
        reason: `${this.options.label}: closed${err ? ` (${err.message})` : ''}`,
      };
    });
  }
}
