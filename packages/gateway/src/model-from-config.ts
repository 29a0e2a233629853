/**
 * Turns loaded configuration (Knative manifests and meshgate kinds) into what the router runs,
 * resolving subscriber and dead-letter refs to URLs on the way.
 */
import {
  type BrokerDefinition,
  ConfigError,
  type DeliverySpec,
  type LoadedConfig,
  parseIsoDuration,
  type PeerResource,
  type ResolvedDestination,
  resolveDestination,
  type TriggerDefinition,
} from '@meshgate/core';
import type { GatewayModel } from './model.js';
import type { PeerTls } from './outgoing-http.js';

export interface ModelContext {
  /** This gateway's own base URL: refs to its Brokers and Sinks resolve under it. */
  selfUrl: string;
}

type Destination = Parameters<typeof resolveDestination>[1];

export function modelFromConfig(config: LoadedConfig, ctx: ModelContext): GatewayModel {
  checkBridgePaths(config);
  const urlOf = (dest: Destination, namespace: string, what: string): string =>
    destinationUrl(resolveDestination(config, dest, namespace), ctx, what);

  const brokers: BrokerDefinition[] = config.brokers.map((b) => {
    const ns = b.metadata.namespace;
    const def: BrokerDefinition = {
      namespace: ns,
      name: b.metadata.name,
      channel: b.settings.connection
        ? {
            kind: 'connection',
            connection: `${b.settings.connection.namespace}/${b.settings.connection.name}`,
            ...(b.settings.channelTopic && { topic: b.settings.channelTopic }),
          }
        : { kind: 'memory' },
      bufferSize: b.settings.bufferSize,
      maxBodyBytes: b.settings.maxBodyBytes,
    };
    if (b.spec.delivery)
      def.delivery = resolveDelivery(
        b.spec.delivery as DeliverySpec,
        ns,
        urlOf,
        `broker ${ns}/${b.metadata.name}`,
      );
    return def;
  });

  const triggers: TriggerDefinition[] = config.triggers.map((t) => {
    const ns = t.metadata.namespace;
    const what = `trigger ${ns}/${t.metadata.name}`;
    const def: TriggerDefinition = {
      namespace: ns,
      name: t.metadata.name,
      broker: t.spec.broker,
      filter: {
        ...(t.spec.filter && { filter: t.spec.filter }),
        ...(t.spec.filters && { filters: t.spec.filters }),
      },
      subscriberUrl: urlOf(t.spec.subscriber as Destination, ns, what),
      maxInFlight: t.settings.maxInFlight,
      ordered: t.settings.ordered,
      startFrom: t.settings.startFrom,
    };
    if (t.spec.delivery) def.delivery = resolveDelivery(t.spec.delivery as DeliverySpec, ns, urlOf, what);
    return def;
  });

  const federatedBrokers = config.brokers
    .filter((b) => b.settings.federated)
    .map((b) => `${b.metadata.namespace}/${b.metadata.name}`);
  const model: GatewayModel = {
    id: config.gateway.id,
    http: { host: config.gateway.http.host, port: config.gateway.http.port },
    brokers,
    triggers,
  };
  if (config.peers.length > 0 || federatedBrokers.length > 0) {
    const f = config.gateway.federation;
    model.federation = {
      id: config.gateway.id,
      brokers: federatedBrokers,
      ...(f && {
        settings: {
          maxHops: f.maxHops,
          interestRouting: f.interestRouting,
          peerInterestWaitMs: parseIsoDuration(f.peerInterestWait),
          dedupWindowMs: parseIsoDuration(f.dedup.window),
          dedupMaxEntries: f.dedup.maxEntries,
        },
      }),
      peers: config.peers.map((p) => {
        const tls = peerTls(p);
        return {
          id: p.metadata.name,
          url: p.spec.url,
          ...(p.spec.token && { token: p.spec.token.reveal() }),
          ...(tls && { tls }),
        };
      }),
    };
  }
  if (config.gateway.kyma) model.kyma = config.gateway.kyma;
  return model;
}

/** A Peer's `spec.tls` with its secrets read; refused on an http URL (it would be ignored). */
function peerTls(peer: PeerResource): PeerTls | undefined {
  const tls = peer.spec.tls;
  if (!tls?.enable) return undefined;
  const at = (path: string, message: string) =>
    new ConfigError(`Peer ${peer.metadata.namespace}/${peer.metadata.name}: ${message}`, [
      { file: peer.origin.file, document: peer.origin.document, path, message },
    ]);
  if (!peer.spec.url.startsWith('https:'))
    throw at('spec.tls', `tls is set but url ${peer.spec.url} is not https`);
  if ((tls.cert === undefined) !== (tls.key === undefined))
    throw at('spec.tls', 'cert and key go together (a client certificate needs its key)');
  return {
    ...(tls.caCert && { ca: tls.caCert.reveal() }),
    ...(tls.cert && { cert: tls.cert.reveal() }),
    ...(tls.key && { key: tls.key.reveal() }),
    ...(tls.serverName !== undefined && { serverName: tls.serverName }),
    ...(tls.insecureSkipVerify && { insecureSkipVerify: true }),
  };
}

/** A dead-letter `ref` becomes a `uri`, so the delivery engine only ever sees URLs. */
function resolveDelivery(
  spec: DeliverySpec,
  namespace: string,
  urlOf: (dest: Destination, namespace: string, what: string) => string,
  what: string,
): DeliverySpec {
  const dls = spec.deadLetterSink;
  if (!dls?.ref) return spec;
  return { ...spec, deadLetterSink: { uri: urlOf(dls as Destination, namespace, `${what} deadLetterSink`) } };
}

function destinationUrl(resolved: ResolvedDestination, ctx: ModelContext, what: string): string {
  switch (resolved.type) {
    case 'url':
      return resolved.url;
    case 'addressable': {
      const base = `${ctx.selfUrl}/${encodeURIComponent(resolved.namespace)}/${encodeURIComponent(resolved.name)}`;
      return resolved.path ? new URL(resolved.path, `${base}/`).toString() : base;
    }
    case 'peer-broker':
      throw new ConfigError(
        `${what}: delivering to a Broker on peer ${resolved.peer} needs federation, which this gateway has not configured`,
      );
  }
}

/** Two Bridges with HTTP sources may not share a path: one would never receive anything. */
function checkBridgePaths(config: LoadedConfig): void {
  const seen = new Map<string, string>();
  for (const b of config.bridges) {
    const http = b.spec.source.http;
    if (!http) continue;
    const key = `${b.metadata.namespace}/${b.metadata.name}`;
    const path = http.path ?? `/bridges/${key}`;
    const other = seen.get(path);
    if (other !== undefined) {
      throw new ConfigError(`Bridges ${other} and ${key} both serve ${path}`, [
        {
          ...(b.origin && { file: b.origin.file, document: b.origin.document }),
          path: 'spec.source.http.path',
          message: `${path} is already served by Bridge ${other}`,
        },
      ]);
    }
    seen.set(path, key);
  }
}
