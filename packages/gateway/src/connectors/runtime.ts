/**
 * The gateway's ConnectorRuntime: channels for Brokers on a Connection, the Sinks it serves and
 * the Sources it runs, reconciled with each new configuration:
 * - unchanged Sources and Sinks (same spec, same connection, same sink URL) keep running;
 * - removed ones stop; changed ones are replaced (the new one starts, then the old one stops).
 */
import {
  type AddressableSender,
  type BridgeResource,
  type BrokerDefinition,
  type DeliveryTracer,
  compileFilter,
  type MeshEvent,
  recordHop,
  withoutTargets,
  type Channel,
  ConfigError,
  type ConnectionResource,
  type DeliverySpec,
  type KafkaSinkResource,
  type KafkaSourceResource,
  type LoadedConfig,
  type Logger,
  resolveDeliveryPolicy,
  resolveDestination,
  resourceKey,
  type SinkResource,
  type SourceResource,
  silentLogger,
} from '@meshgate/core';
import type { ConnectorRuntime } from '../gateway.js';
import type { Addressable } from '../http/addressables.js';
import { createChannel } from './channels.js';
import { type ConnectionClient, ConnectionPool, fingerprint, kafkaSinkNet } from './connections.js';
import { HttpBridgeSource } from './http-bridge-source.js';
import { createSink, SinkAddressable } from './sinks.js';
import { type SourceInfo, SourceRuntime, type SourceRuntimeOptions } from './source-runtime.js';
import { createBridgeSource, createSource } from './sources.js';

export interface ConnectorRuntimeOptions {
  /** Before the first `apply`: log through this (apply's logger is used afterwards). */
  logger?: Logger;
}

/** A served sink's view for the admin API. */
export interface SinkInfo {
  key: string;
  kind: string;
  status: ReturnType<SinkAddressable['sink']['status']>;
  counters: SinkAddressable['counters'];
  lastError?: string;
}

export interface GatewayConnectorRuntime extends ConnectorRuntime {
  /**
   * Makes a configuration's Connections known before the router reconciles its Brokers (their
   * channels are created then); `apply` does the same for Sinks and Sources.
   */
  prepare(config: LoadedConfig): void;
  /** The running Sources and served Sinks, for the admin API. */
  list(): { sources: SourceInfo[]; sinks: SinkInfo[] };
}

type AnySource = KafkaSourceResource | SourceResource;
type AnySink = KafkaSinkResource | SinkResource;
type DestinationInput = Parameters<typeof resolveDestination>[1];

export function createConnectorRuntime(options: ConnectorRuntimeOptions = {}): GatewayConnectorRuntime {
  return new Runtime(options.logger ?? silentLogger);
}

class Runtime implements GatewayConnectorRuntime {
  private connections: ReadonlyMap<string, ConnectionResource> = new Map();
  private clientId = 'meshgate';
  private readonly pool: ConnectionPool;
  private readonly sources = new Map<string, SourceRuntime>();
  private readonly sinks = new Map<string, SinkAddressable>();
  /** The HTTP sources of running Bridges by path (rebuilt after each reconcile). */
  private httpBridges = new Map<string, HttpBridgeSource>();
  /** Applies run one at a time (a reload during a slow start waits). */
  private applying: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private logger: Logger) {
    this.pool = new ConnectionPool(
      () => this.logger,
      () => this.clientId,
    );
  }

  prepare(config: LoadedConfig): void {
    this.connections = config.connections;
    this.clientId = `meshgate-${config.gateway.id}`;
  }

  async channelFactory(definition: BrokerDefinition): Promise<Channel> {
    const key = `${definition.namespace}/${definition.name}`;
    const ref = definition.channel.connection;
    if (definition.channel.kind !== 'connection' || typeof ref !== 'string') {
      throw new ConfigError(`broker ${key}: unknown channel kind ${definition.channel.kind}`);
    }
    const [ns, name] = ref.split('/') as [string, string];
    const client = this.client(ns, name, `broker ${key}`);
    return createChannel(definition, client, this.logger.child({ broker: key }));
  }

  sink(namespace: string, name: string): Addressable | undefined {
    return this.sinks.get(resourceKey(namespace, name));
  }

  bridgeAt(path: string): Addressable | undefined {
    return this.httpBridges.get(path)?.addressable;
  }

  apply(
    config: LoadedConfig,
    context: { selfUrl: string; sender: AddressableSender; logger: Logger; tracer?: DeliveryTracer },
  ): Promise<void> {
    const next = this.applying.then(() => this.reconcile(config, context));
    this.applying = next.catch(() => {});
    return next;
  }

  private async reconcile(
    config: LoadedConfig,
    ctx: { selfUrl: string; sender: AddressableSender; logger: Logger; tracer?: DeliveryTracer },
  ): Promise<void> {
    if (this.closed) return;
    this.logger = ctx.logger;
    this.prepare(config);

    // Sinks first: Sources and Triggers may deliver to them in-process.
    const wantedSinks = new Map<string, AnySink>();
    for (const s of [...config.kafkaSinks, ...config.sinks]) {
      wantedSinks.set(resourceKey(s.metadata.namespace, s.metadata.name), s);
    }
    // Everything is built before anything changes: a resource that cannot be built (a ConfigError)
    // leaves the running set as it was. Nothing connects until it is started or first used.
    const newSinks: SinkAddressable[] = [];
    for (const [key, resource] of wantedSinks) {
      const print = fingerprint({
        kind: resource.kind,
        spec: resource.spec,
        conn: this.connectionPrint(resource),
      });
      const current = this.sinks.get(key);
      if (current?.fingerprint === print) continue;
      const logger = ctx.logger.child({ sink: key });
      const sink = createSink(resource, this.clients(), logger);
      newSinks.push(
        new SinkAddressable(key, resource.kind, sink, config.gateway.http.maxBodyBytes, print, logger),
      );
    }

    const wantedSources = new Map<string, AnySource>();
    for (const s of [...config.kafkaSources, ...config.sources]) {
      wantedSources.set(`${s.kind} ${resourceKey(s.metadata.namespace, s.metadata.name)}`, s);
    }
    const toStop: SourceRuntime[] = [];
    const toStart: SourceRuntime[] = [];
    /** A Source or Bridge whose fingerprint changed (or is new) is replaced; an unchanged one keeps running. */
    const replaceIfChanged = (
      key: string,
      print: string,
      options: (
        logger: Logger,
      ) => Omit<SourceRuntimeOptions, 'key' | 'sender' | 'tracer' | 'logger' | 'fingerprint'>,
    ): void => {
      const current = this.sources.get(key);
      if (current?.fingerprint === print) return;
      const logger = ctx.logger.child({ source: key });
      const runtime = new SourceRuntime({
        key,
        ...options(logger),
        sender: ctx.sender,
        ...(ctx.tracer && { tracer: ctx.tracer }),
        logger,
        fingerprint: print,
      });
      if (current) toStop.push(current);
      toStart.push(runtime);
    };
    for (const [key, resource] of wantedSources) {
      const ns = resource.metadata.namespace;
      const sinkUrl = this.urlOf(
        config,
        resource.spec.sink as DestinationInput,
        ns,
        `${key} sink`,
        ctx.selfUrl,
      );
      const delivery = this.delivery(
        config,
        resource.spec.delivery as DeliverySpec | undefined,
        ns,
        key,
        ctx.selfUrl,
      );
      const print = fingerprint({
        spec: resource.spec,
        settings: resource.settings,
        conn: this.connectionPrint(resource),
        sinkUrl,
        delivery,
      });
      replaceIfChanged(key, print, (logger) => ({
        kind: resource.kind,
        namespace: ns,
        source: createSource(resource, this.clients(), logger),
        sinkUrl,
        policy: resolveDeliveryPolicy(delivery),
        ...(resource.spec.ceOverrides?.extensions && { extensions: resource.spec.ceOverrides.extensions }),
      }));
    }
    // Bridges: a source, a filter and a sink (a URL, a ref, or a federated Broker on a peer).
    const bridgeKeys = new Set<string>();
    for (const b of config.bridges) {
      const ns = b.metadata.namespace;
      const key = `Bridge ${resourceKey(ns, b.metadata.name)}`;
      bridgeKeys.add(key);
      const target = this.bridgeTarget(config, b, ctx.selfUrl);
      const delivery = this.delivery(
        config,
        b.spec.delivery as DeliverySpec | undefined,
        ns,
        key,
        ctx.selfUrl,
      );
      const src = b.spec.source;
      const connName = (src.kafka ?? src.rabbitmq ?? src.nats ?? src.pubsub)?.connection;
      const print = fingerprint({
        spec: b.spec,
        conn: connName ? this.connections.get(resourceKey(ns, connName))?.spec : undefined,
        url: target.url,
        delivery,
      });
      replaceIfChanged(key, print, (logger) => ({
        kind: 'Bridge',
        namespace: ns,
        source: createBridgeSource(b, this.clients(), logger, config.gateway.http),
        sinkUrl: target.url,
        policy: resolveDeliveryPolicy(delivery),
        ...(b.spec.ceOverrides?.extensions && { extensions: b.spec.ceOverrides.extensions }),
        filter: compileFilter(
          {
            ...(b.spec.filter && { filter: b.spec.filter }),
            ...(b.spec.filters && { filters: b.spec.filters }),
          },
          'spec',
        ),
        ...(target.headers && { headers: target.headers }),
        ...(target.transform && { transform: target.transform }),
      }));
    }
    for (const [key, current] of this.sources) {
      if (!wantedSources.has(key) && !bridgeKeys.has(key)) {
        this.sources.delete(key);
        toStop.push(current);
      }
    }

    const retiredSinks: SinkAddressable[] = [];
    for (const sink of newSinks) {
      const current = this.sinks.get(sink.key);
      if (current) retiredSinks.push(current);
      this.sinks.set(sink.key, sink);
    }
    for (const [key, current] of this.sinks) {
      if (!wantedSinks.has(key)) {
        this.sinks.delete(key);
        retiredSinks.push(current);
      }
    }

    // A changed source stops before its successor starts, so two never share a consumer group's work.
    await Promise.all(toStop.map((s) => this.stopQuietly(s)));
    for (const s of toStop) if (this.sources.get(s.key) === s) this.sources.delete(s.key);
    const results = await Promise.allSettled(
      toStart.map(async (s) => {
        this.sources.set(s.key, s);
        await s.start();
      }),
    );
    this.httpBridges = new Map(
      [...this.sources.values()].flatMap((s) =>
        s.options.source instanceof HttpBridgeSource
          ? [[s.options.source.path, s.options.source] as const]
          : [],
      ),
    );
    await Promise.all(retiredSinks.map((s) => s.sink.close().catch(() => {})));
    const failed = results.flatMap((r, i) =>
      r.status === 'rejected' ? [[toStart[i]?.key, r.reason] as const] : [],
    );
    for (const [key, err] of failed) ctx.logger.error({ source: key, err }, 'source failed to start');
    ctx.logger.info(
      { sources: this.sources.size, sinks: this.sinks.size, started: toStart.length, stopped: toStop.length },
      'connectors reconciled',
    );
  }

  notReady(): string[] {
    const reasons: string[] = [];
    for (const s of this.sources.values()) {
      const st = s.status();
      if (st.state !== 'ready')
        reasons.push(`source ${s.key} is ${st.state}${st.reason ? ` (${st.reason})` : ''}`);
    }
    for (const s of this.sinks.values()) {
      const st = s.sink.status();
      // A sink connects on first use: only a sink that lost its middleware is a reason.
      if (st.state === 'degraded')
        reasons.push(`sink ${s.key} is degraded${st.reason ? ` (${st.reason})` : ''}`);
    }
    return reasons;
  }

  list(): { sources: SourceInfo[]; sinks: SinkInfo[] } {
    return {
      sources: [...this.sources.values()].map((s) => s.info()),
      sinks: [...this.sinks.values()].map((s) => ({
        key: s.key,
        kind: s.resourceKind,
        status: s.sink.status(),
        counters: { ...s.counters },
        ...(s.lastError !== undefined && { lastError: s.lastError }),
      })),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.applying;
    this.httpBridges = new Map();
    const sources = [...this.sources.values()];
    const sinks = [...this.sinks.values()];
    this.sources.clear();
    this.sinks.clear();
    await Promise.all(sources.map((s) => this.stopQuietly(s)));
    await Promise.all(sinks.map((s) => s.sink.close().catch(() => {})));
    await this.pool.close();
  }

  private async stopQuietly(s: SourceRuntime): Promise<void> {
    try {
      await s.stop();
    } catch (err) {
      this.logger.warn({ source: s.key, err }, 'source did not stop cleanly');
    }
  }

  private clients() {
    return {
      kafkaFor: (r: KafkaSourceResource | KafkaSinkResource) => {
        const what = `${r.kind} ${r.metadata.namespace}/${r.metadata.name}`;
        const net = r.kind === 'KafkaSource' ? r.spec.net : kafkaSinkNet(r.credentials, what);
        return this.pool.forKafkaServers(r.spec.bootstrapServers, net, what);
      },
      connection: (ns: string, name: string, what: string) => this.client(ns, name, what),
    };
  }

  private client(namespace: string, name: string, what: string): ConnectionClient {
    const key = resourceKey(namespace, name);
    const connection = this.connections.get(key);
    if (!connection) {
      throw new ConfigError(`${what}: connection ${key} is not configured`, [
        { path: 'spec.connection', message: `no Connection ${key}` },
      ]);
    }
    return this.pool.forConnection(key, connection);
  }

  /**
   * Where a Bridge delivers. To a federated Broker on a peer: the peer's ordinary Broker ingress,
   * authenticated as a peer, with this gateway recorded on the event's route (loop prevention).
   */
  private bridgeTarget(
    config: LoadedConfig,
    bridge: BridgeResource,
    selfUrl: string,
  ): { url: string; headers?: Record<string, string>; transform?: (e: MeshEvent) => MeshEvent } {
    const ns = bridge.metadata.namespace;
    const sink = bridge.spec.sink;
    if (!('peer' in sink)) {
      return {
        url: this.urlOf(
          config,
          sink as DestinationInput,
          ns,
          `Bridge ${ns}/${bridge.metadata.name} sink`,
          selfUrl,
        ),
      };
    }
    const peer = config.peers.find((p) => p.metadata.name === sink.peer && p.metadata.namespace === ns);
    if (!peer) {
      throw new ConfigError(
        `Bridge ${ns}/${bridge.metadata.name}: no Peer named ${sink.peer} in namespace ${ns}`,
        [{ path: 'spec.sink.peer', message: `no Peer named ${sink.peer} in namespace ${ns}` }],
      );
    }
    const self = config.gateway.id;
    const token = peer.spec.token?.reveal();
    return {
      url: `${peer.spec.url.replace(/\/+$/, '')}/${encodeURIComponent(sink.namespace ?? ns)}/${encodeURIComponent(sink.broker)}`,
      headers: { 'meshgate-peer': self, ...(token !== undefined && { authorization: `Bearer ${token}` }) },
      transform: (e) => recordHop(withoutTargets(e), self),
    };
  }

  /** The Connection's spec, so that a changed Connection restarts what uses it. */
  private connectionPrint(resource: AnySource | AnySink): unknown {
    if (!('connection' in resource.spec)) return undefined;
    return this.connections.get(resourceKey(resource.metadata.namespace, resource.spec.connection))?.spec;
  }

  private urlOf(
    config: LoadedConfig,
    dest: DestinationInput,
    namespace: string,
    what: string,
    selfUrl: string,
  ) {
    const resolved = resolveDestination(config, dest, namespace);
    switch (resolved.type) {
      case 'url':
        return resolved.url;
      case 'addressable': {
        const base = `${selfUrl}/${encodeURIComponent(resolved.namespace)}/${encodeURIComponent(resolved.name)}`;
        return resolved.path ? new URL(resolved.path, `${base}/`).toString() : base;
      }
      case 'peer-broker':
        throw new ConfigError(`${what}: a Broker on peer ${resolved.peer} needs federation`);
    }
  }

  /** The source's delivery spec with a dead-letter `ref` turned into a URL. */
  private delivery(
    config: LoadedConfig,
    spec: DeliverySpec | undefined,
    namespace: string,
    what: string,
    selfUrl: string,
  ): DeliverySpec | undefined {
    const dls = spec?.deadLetterSink;
    if (!spec || !dls?.ref) return spec;
    const uri = this.urlOf(config, dls as DestinationInput, namespace, `${what} deadLetterSink`, selfUrl);
    return { ...spec, deadLetterSink: { uri } };
  }
}
