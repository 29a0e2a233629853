/**
 * One gateway node: the router, the HTTP server (ingress, health, metrics, admin) and the
 * sender that delivers to Addressables. `apply` reconciles a new model while running.
 */
import type { AddressInfo } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import type { Server } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type AddressableSender,
  type BrokerDefinition,
  brokerKey,
  type Channel,
  ConfigError,
  DEFAULT_MAX_BODY_BYTES,
  type DeliveryTracer,
  type LoadedConfig,
  type Logger,
  Router,
  type RouterObserver,
  type TriggerFilterSpec,
} from '@meshgate/core';
import { type GatewayConnectorRuntime, registerConnectorMetrics } from './connectors/index.js';
import { Federation, INTEREST_PATH } from './federation.js';
import { registerFederationMetrics } from './federation-metrics.js';
import { sendError, sendJson } from './http/respond.js';
import { LocalFirstSender } from './local-sender.js';
import type { EgressOptions } from '@meshgate/knative';
import { limitSlowClients, type SlowClientLimits } from './security/index.js';
import type { Addressable, IngressGuard } from './http/addressables.js';
import { createGatewayServer } from './http/server.js';
import { ListenerTls, type ListenerTlsOptions } from './http/tls.js';
import { OutgoingHttp } from './outgoing-http.js';
import { createMetrics, type GatewayMetrics } from './metrics.js';
import type { GatewayModel } from './model.js';

export interface GatewayOptions {
  logger: Logger;
  /** Traces deliveries (OpenTelemetry in production; absent: no tracing cost). */
  tracer?: DeliveryTracer;
  /** Authentication, policies and rate limits at ingress (absent: open, as Knative). */
  guard?: IngressGuard;
  /** Connection-backed channels, Sinks and Sources (Kafka, RabbitMQ, NATS, Pub/Sub). */
  connectors?: ConnectorRuntime;
  /** Where deliveries may connect (allow/deny CIDRs, redirects); link-local refused by default. */
  egress?: EgressOptions;
  /** Header and body deadlines per connection, so slow clients cannot hold connections. */
  slowClients?: Partial<SlowClientLimits>;
  /** Serve https with these certificate files (reloaded on change), client certificates (mTLS). */
  tls?: ListenerTlsOptions;
  /** PEM CA bundles trusted for https deliveries besides node's default CAs. */
  egressCas?: readonly string[];
}

/**
 * What the gateway needs from the connectors: channels for Brokers on a Connection, the Sinks
 * it serves at `/<namespace>/<name>`, and Sources it runs. `apply` reconciles Sinks and Sources
 * with a new configuration; deliveries go through `sender` (own Brokers and Sinks in-process).
 */
export interface ConnectorRuntime {
  channelFactory(definition: BrokerDefinition): Promise<Channel>;
  sink(namespace: string, name: string): Addressable | undefined;
  /** A Bridge's HTTP source served at `path`. */
  bridgeAt?(path: string): Addressable | undefined;
  apply(
    config: LoadedConfig,
    context: { selfUrl: string; sender: AddressableSender; logger: Logger; tracer?: DeliveryTracer },
  ): Promise<void>;
  /** Reasons this gateway is not ready (a connection down, a source not consuming). */
  notReady(): string[];
  /** Learns the Connections of a configuration before the router creates channels on them. */
  prepare?(config: LoadedConfig): void;
  /** Sources and Sinks with their counters (metrics, topology). */
  list?(): ReturnType<GatewayConnectorRuntime['list']>;
  close(): Promise<void>;
}

/** An extra HTTP route (UI, live tail, ...): answers and returns true, or returns false to pass. */
export type RouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
) => boolean | Promise<boolean>;

export class Gateway {
  private readonly router: Router;
  /** Deliveries and peer links over HTTP(S): egress guard, CAs, each peer's client certificate. */
  private readonly http: OutgoingHttp;
  private listenerTls: ListenerTls | undefined;
  /** Own Brokers and Sinks in-process, the rest over HTTP. */
  private readonly sender: LocalFirstSender;
  private readonly metrics: GatewayMetrics;
  private server: Server | undefined;
  private model: GatewayModel | undefined;
  private readonly observers: RouterObserver[] = [];
  /** Extra routes (ops first, so its admin token covers /api/v1/peers too), then federation's. */
  private readonly routes: RouteHandler[] = [(req, res, path) => this.federationRoute(req, res, path)];
  private federation: Federation | undefined;

  constructor(private readonly options: GatewayOptions) {
    // Deliveries connect only where the egress guard allows (SSRF: checked on the resolved address).
    this.http = new OutgoingHttp({
      ...(options.egress && { egress: options.egress }),
      ...(options.egressCas && { extraCas: options.egressCas }),
    });
    this.sender = new LocalFirstSender(this.http, { addressable: (ns, name) => this.addressable(ns, name) });
    this.metrics = createMetrics(() => this.router);
    registerFederationMetrics(this.metrics.registry, () => this.federation);
    if (options.connectors?.list)
      registerConnectorMetrics(this.metrics.registry, () =>
        (options.connectors as GatewayConnectorRuntime).list(),
      );
    this.observers.push(this.metrics.observer);
    this.router = new Router({
      sender: this.sender,
      logger: options.logger,
      observer: fanOut(this.observers),
      channelFactory: (def) => {
        if (!this.options.connectors) {
          throw new ConfigError(
            `broker ${def.namespace}/${def.name}: channel ${def.channel.kind} needs the connectors, which this gateway has not loaded`,
          );
        }
        return this.options.connectors.channelFactory(def);
      },
      ...(options.tracer && { tracer: options.tracer }),
    });
  }

  /** Listens to what the router does (live tail, recent dead letters). */
  addObserver(observer: RouterObserver): void {
    this.observers.push(observer);
  }

  /** Adds HTTP routes, tried in order before the built-in GET routes and the 404. */
  addRoute(handler: RouteHandler): void {
    // Before federation's route, which stays last; works before and after listen().
    this.routes.splice(this.routes.length - 1, 0, handler);
  }

  /** The model last applied. */
  get currentModel(): GatewayModel | undefined {
    return this.model;
  }

  /** The base URL the server listens on (after start). */
  get url(): string {
    const addr = this.server?.address() as AddressInfo | null;
    if (!addr) throw new Error('gateway is not listening');
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    const scheme = this.listenerTls ? 'https' : 'http';
    return `${scheme}://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${addr.port}`;
  }

  /** The router (admin views, tests). */
  get routerForTests(): Router {
    return this.router;
  }

  /** Starts listening; Brokers answer once `apply` has loaded them. */
  async listen(host: string, port: number): Promise<void> {
    // Unreadable or mismatched certificate files: a ConfigError before anything listens.
    this.listenerTls = this.options.tls ? new ListenerTls(this.options.tls, this.options.logger) : undefined;
    this.server = createGatewayServer(
      {
        lookup: {
          addressable: (ns, name) => this.addressable(ns, name),
          addressableAt: (path) => this.options.connectors?.bridgeAt?.(path),
        },
        continueTraces: this.options.tracer !== undefined,
        router: () => this.router,
        registry: this.metrics.registry,
        logger: this.options.logger,
        readiness: () => this.readiness(),
        routes: this.routes,
        guard: {
          // A request that claims to come from a peer must prove it, whatever else is configured.
          admit: (req, target) => {
            const { refused, certificate } = this.federation?.checkPeer(req) ?? {};
            if (refused !== undefined) {
              this.options.logger.warn(
                { claimed: req.headers['meshgate-peer'], target: target.key, reason: refused },
                certificate
                  ? 'peer request refused: no verified client certificate of the peer'
                  : 'peer request refused: unknown peer or bad token',
              );
              return {
                status: 401,
                code: 'UNAUTHENTICATED',
                message: 'peer credentials missing or invalid',
                headers: { 'www-authenticate': 'Bearer' },
              };
            }
            return this.options.guard?.admit(req, target);
          },
          checkEvents: (req, target, events) => this.options.guard?.checkEvents?.(req, target, events),
        },
        kyma: {
          maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
          accept: (events) => {
            const k = this.model?.kyma;
            if (!k) throw new Error('kyma ingress not configured');
            return this.router.ingest(k.namespace, k.broker, events);
          },
        },
      },
      this.listenerTls?.serverOptions(),
    );
    const server = this.server;
    limitSlowClients(server, this.options.slowClients);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.sender.setSelfUrl(this.url);
    if (this.listenerTls) {
      this.listenerTls.watch(server as unknown as TlsServer);
      this.options.logger.info(
        { url: this.url, scheme: 'https', tls: this.listenerTls.describe() },
        'gateway listening',
      );
    } else {
      this.options.logger.info({ url: this.url, scheme: 'http' }, 'gateway listening');
    }
  }

  /** Listens on the model's address, then applies it. */
  async start(model: GatewayModel): Promise<void> {
    await this.listen(model.http.host, model.http.port);
    await this.apply(model);
  }

  /**
   * Reconciles the router (and the connectors, given the configuration they read) with a new
   * model; throws (and changes nothing in the router) when it is invalid.
   */
  async apply(model: GatewayModel, config?: LoadedConfig): Promise<void> {
    // Broker channels on a Connection are created while the router reconciles.
    if (config) this.options.connectors?.prepare?.(config);
    await this.router.reconcile({ brokers: model.brokers, triggers: model.triggers });
    this.model = model;
    // Each peer's TLS (its CA, our client certificate) for everything sent to it.
    this.http.setPeers(model.federation?.peers ?? []);
    await this.applyFederation(model);
    if (config && this.options.connectors) {
      await this.options.connectors.apply(config, {
        selfUrl: this.url,
        sender: this.sender,
        logger: this.options.logger,
        ...(this.options.tracer && { tracer: this.options.tracer }),
      });
    }
  }

  private async applyFederation(model: GatewayModel): Promise<void> {
    if (!model.federation) {
      await this.federation?.close();
      this.federation = undefined;
      return;
    }
    const filters = new Map<string, TriggerFilterSpec[]>();
    for (const t of model.triggers) {
      const key = brokerKey(t.namespace, t.broker);
      filters.set(key, [...(filters.get(key) ?? []), t.filter]);
    }
    const tls = this.options.tls;
    this.federation ??= new Federation(model.federation, {
      sender: this.http,
      router: this.router,
      logger: this.options.logger,
      dispatcherFor: (url) => this.http.dispatcherFor(url),
      ...(this.options.tracer && { tracer: this.options.tracer }),
      ...(tls && tls.clientAuth !== 'none' && { peerCertificates: { verifyName: tls.verifyPeerName } }),
    });
    await this.federation.apply(model.federation, filters);
  }

  private async federationRoute(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    if (path === INTEREST_PATH && req.method === 'POST') {
      if (!this.federation) {
        req.resume();
        sendError(res, 404, 'NOT_FOUND', 'this gateway has no federation configured');
      } else {
        await this.federation.handleAnnouncement(req, res);
      }
      return true;
    }
    if (path === '/api/v1/peers' && req.method === 'GET') {
      sendJson(res, 200, {
        id: this.model?.federation?.id,
        items: this.federation?.peers() ?? [],
        received: this.federation?.node.received,
        dedup: this.federation?.node.dedup.counters,
      });
      return true;
    }
    return false;
  }

  /** Federation state (peers, counters), when this gateway federates. */
  get federationState(): Federation | undefined {
    return this.federation;
  }

  private addressable(namespace: string, name: string): Addressable | undefined {
    const broker = this.router.broker(namespace, name);
    if (!broker) return this.options.connectors?.sink(namespace, name);
    return {
      kind: 'broker',
      key: brokerKey(namespace, name),
      maxBodyBytes: broker.maxBodyBytes,
      accept: (events, from) => {
        const federation = this.federation;
        if (federation?.isFederated(namespace, name)) {
          const peer = from ? federation.peerOf(from) : undefined;
          return federation.ingest(namespace, name, events, peer || undefined);
        }
        return this.router.ingest(namespace, name, events);
      },
      reject: (reason) => {
        broker.reject(reason);
        this.metrics.observer.rejected?.(broker.key, reason, 1);
      },
    };
  }

  private readiness(): { ready: boolean; reasons: string[] } {
    const reasons: string[] = [];
    if (!this.model) reasons.push('configuration not loaded');
    if (this.options.connectors) reasons.push(...this.options.connectors.notReady());
    for (const b of this.router.listBrokers()) {
      const s = b.channel.status();
      if (s.state !== 'ready')
        reasons.push(
          `broker ${b.key}: channel ${b.channel.kind} is ${s.state}${s.reason ? ` (${s.reason})` : ''}`,
        );
    }
    return { ready: reasons.length === 0, reasons };
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.listenerTls?.close();
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    }
    // Sources first, so their in-flight events reach local Brokers before those close.
    await this.options.connectors?.close();
    await this.federation?.close();
    await this.router.close();
    await this.http.close();
  }
}

/** One observer that calls each of `observers` (read at call time, so later additions count). */
function fanOut(observers: RouterObserver[]): RouterObserver {
  return {
    ingested: (b, n) => {
      for (const o of observers) o.ingested?.(b, n);
    },
    rejected: (b, r, n) => {
      for (const o of observers) o.rejected?.(b, r, n);
    },
    attempt: (t, s, d) => {
      for (const o of observers) o.attempt?.(t, s, d);
    },
    outcome: (t, k, ms) => {
      for (const o of observers) o.outcome?.(t, k, ms);
    },
    retried: (t) => {
      for (const o of observers) o.retried?.(t);
    },
    deadLettered: (t, e, err) => {
      for (const o of observers) o.deadLettered?.(t, e, err);
    },
    get event() {
      // Only pay for the per-event hook when someone listens.
      const listening = observers.filter((o) => o.event);
      if (listening.length === 0) return undefined;
      return (b: string, e: Parameters<NonNullable<RouterObserver['event']>>[1]) => {
        for (const o of listening) o.event?.(b, e);
      };
    },
  };
}
