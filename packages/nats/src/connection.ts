/**
 * A NATS connection for one component. The first connect is retried here with backoff (so a
 * gateway starts while NATS is down); after that nats.js reconnects by itself, forever, and the
 * keeper follows its status events to report `degraded` while disconnected.
 */
import { type ComponentStatus, NotConnectedError } from '@meshgate/core';
import {
  type ConnectionOptions,
  connect,
  credsAuthenticator,
  type NatsConnection,
  nkeyAuthenticator,
  type TlsOptions,
} from 'nats';

/** How a client proves who it is to NATS: exactly one of these. */
export type NatsAuth =
  | { token: string }
  | { user: string; password: string }
  /** An NKey user: the seed (`SU...`) signs the server's nonce. */
  | { nkeySeed: string }
  /** The contents of a `.creds` file: a user JWT and its NKey seed (decentralized auth). */
  | { creds: string };

/** TLS to NATS; PEM contents, not paths. */
export interface NatsTls {
  ca?: string;
  cert?: string;
  key?: string;
  serverName?: string;
  /** Default true; false accepts any server certificate (tests only). */
  rejectUnauthorized?: boolean;
}

/**
 * A NATS cluster with what it takes to log in, in place of bare URLs wherever a component takes
 * `servers`. The credentials come from a function called on each connect, so the endpoint
 * itself can be logged, inspected or serialized without showing a secret.
 */
export interface NatsEndpoint {
  servers: readonly string[];
  /** What the endpoint is called in errors and status (e.g. the Connection `shop/nats`). */
  name?: string;
  secure?: () => { auth?: NatsAuth; tls?: NatsTls };
}

/** `nats://host:port`, several, or an endpoint with credentials and TLS. */
export type NatsServers = string | string[] | NatsEndpoint;

/** The nats.js connect options for `servers`: URLs, and authentication and TLS when given. */
export function natsConnectOptions(servers: NatsServers): ConnectionOptions {
  if (typeof servers === 'string' || Array.isArray(servers)) return { servers };
  const options: ConnectionOptions = { servers: [...servers.servers] };
  const { auth, tls } = servers.secure?.() ?? {};
  if (auth !== undefined) {
    if ('token' in auth) options.token = auth.token;
    else if ('user' in auth) {
      options.user = auth.user;
      options.pass = auth.password;
    } else if ('nkeySeed' in auth) {
      options.authenticator = nkeyAuthenticator(new TextEncoder().encode(auth.nkeySeed.trim()));
    } else {
      // nats.js finds the seed block by its closing line *and newline*; a secret read from a file
      // loses its trailing newline, which would make a valid .creds file BAD_CREDS.
      const creds = auth.creds.endsWith('\n') ? auth.creds : `${auth.creds}\n`;
      options.authenticator = credsAuthenticator(new TextEncoder().encode(creds));
    }
  }
  if (tls !== undefined) {
    // nats.js hands the object on to tls.connect, so Node's own options pass through.
    const t: TlsOptions & { servername?: string; rejectUnauthorized?: boolean } = {};
    if (tls.ca !== undefined) t.ca = tls.ca;
    if (tls.cert !== undefined) t.cert = tls.cert;
    if (tls.key !== undefined) t.key = tls.key;
    if (tls.serverName !== undefined) t.servername = tls.serverName;
    if (tls.rejectUnauthorized === false) t.rejectUnauthorized = false;
    options.tls = t;
  }
  return options;
}

/** `shop/nats` for an endpoint that has a name, else the URLs. */
export function describeNatsServers(servers: NatsServers): string {
  if (typeof servers === 'string') return servers;
  if (Array.isArray(servers)) return servers.join(',');
  return servers.name ?? servers.servers.join(',');
}

export interface NatsConnectionOptions {
  /** `nats://host:port`, several, or an endpoint with credentials and TLS. */
  servers: NatsServers;
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
  /** The last attempt failed because the server refused the credentials. */
  private refused = false;

  constructor(private readonly options: NatsConnectionOptions) {}

  /** Resolves after the first attempt, successful or not (failures are retried in the background). */
  start(): Promise<void> {
    this.first ??= this.connect();
    return this.first;
  }

  /**
   * Resolves when connected (and set up), or rejects with NotConnectedError after `ms`; at once
   * when the server refused the credentials (waiting would not change that).
   */
  async connected(ms: number): Promise<NatsConnection> {
    await this.start();
    if (this.nc !== undefined && this.state.state === 'ready') return this.nc;
    if (this.refused) throw this.notConnected();
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
        ...natsConnectOptions(this.options.servers),
        name: `meshgate ${this.options.label}`,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        // nats.js otherwise builds two Error objects (stack traces) for every request, JetStream
        // publishes included: a third of the bridge's CPU in the profile. Our own errors name
        // the connection and subject, so the caller's stack adds nothing.
        noAsyncTraces: true,
      });
      if (this.closed) {
        await nc.close();
        return;
      }
      await this.options.setup?.(nc);
      this.nc = nc;
      this.refused = false;
      this.state = { state: 'ready' };
      this.watch(nc);
      const waiters = this.readyWaiters;
      this.readyWaiters = [];
      for (const w of waiters) w();
    } catch (err) {
      if (nc !== undefined) await nc.close().catch(() => {});
      this.refused = isRefusal(err);
      this.state = { state: 'degraded', reason: `${this.options.label}: ${this.explain(err)}` };
      const initial = this.options.initialDelayMs ?? 200;
      const max = this.options.maxDelayMs ?? 5000;
      const delay = Math.min(max, initial * 2 ** this.attempt);
      this.attempt += 1;
      this.timer = setTimeout(() => void this.connect(), delay);
    }
  }

  /**
   * A failed connect in words that say which cluster refused and why (nats.js says only
   * "Authorization Violation"). Never includes a credential: nats.js' messages hold none.
   */
  private explain(err: unknown): string {
    const message = err instanceof Error ? err.message : String(err);
    const where = `NATS ${describeNatsServers(this.options.servers)}`;
    return isRefusal(err) ? `${where} refused the credentials (${message})` : `${where}: ${message}`;
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

/** The server said no to the credentials (as opposed to being unreachable). */
function isRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return (
    code === 'AUTHORIZATION_VIOLATION' ||
    code === 'AUTHENTICATION_EXPIRED' ||
    /authorization violation/i.test(message)
  );
}
