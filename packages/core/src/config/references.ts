/**
 * Checks between resources: names unique per kind and namespace, a Trigger's Broker exists, refs
 * point at something meshgate can reach, connections exist and are of the right middleware.
 * Also resolves a Destination to what the gateway delivers to.
 */
import type { ConfigIssue } from '../errors.js';
import type { Destination, KReference } from './common.js';
import { ADDRESSABLE_KINDS, type AddressableKind, type KindName } from './kinds.js';
import type { ConnectionType } from './meshgate.js';
import type { ParsedResource } from './parse-documents.js';
import { pathInDocument, type ResourceOrigin } from './resource.js';

/**
 * What a Destination resolves to. `path` is the relative `uri` given with a `ref` (Knative: the
 * uri is resolved against the ref's address).
 */
export type ResolvedDestination =
  | { type: 'url'; url: string }
  | { type: 'addressable'; kind: AddressableKind; namespace: string; name: string; path?: string }
  | { type: 'peer-broker'; peer: string; namespace: string; broker: string };

/** Kubernetes Services (plain or Knative) resolve by the cluster DNS convention. */
const SERVICE_REFS = new Set(['v1/Service', 'serving.knative.dev/v1/Service']);

const EXPECTED_API_VERSION: Record<AddressableKind, string> = {
  Broker: 'eventing.knative.dev/v1',
  KafkaSink: 'eventing.knative.dev/v1alpha1',
  RabbitmqSink: 'meshgate.io/v1alpha1',
  NatsSink: 'meshgate.io/v1alpha1',
  PubSubSink: 'meshgate.io/v1alpha1',
};

interface Index {
  byKind: Map<KindName, Map<string, ResourceOrigin>>;
  connectionTypes: Map<string, ConnectionType>;
}

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

type AnyResource = Record<string, unknown> & {
  metadata: { name: string; namespace: string };
  spec: Record<string, unknown>;
  origin: ResourceOrigin;
};

/** Resolves a destination, or explains why it cannot be. Pure; used by the loader and the gateway. */
export function resolveDestinationIn(
  has: (kind: AddressableKind, namespace: string, name: string) => boolean,
  destination: Destination,
  namespace: string,
): ResolvedDestination | { error: string; field: 'ref' | 'uri' } {
  const ref = destination.ref;
  if (ref === undefined) return { type: 'url', url: destination.uri as string };
  const ns = ref.namespace ?? namespace;
  const apiVersion = ref.apiVersion ?? ref.group ?? '';
  if (SERVICE_REFS.has(`${apiVersion}/${ref.kind}`)) {
    const base = `http://${ref.name}.${ns}.svc.cluster.local`;
    if (destination.uri === undefined) return { type: 'url', url: base };
    try {
      return { type: 'url', url: new URL(destination.uri, `${base}/`).toString() };
    } catch {
      return { error: `uri '${destination.uri}' is not a valid path relative to ${base}`, field: 'uri' };
    }
  }
  if (!(ADDRESSABLE_KINDS as readonly string[]).includes(ref.kind)) {
    return {
      error: `cannot resolve a ref to ${apiVersion} ${ref.kind} '${ref.name}': meshgate resolves refs to ${ADDRESSABLE_KINDS.join(', ')} and Services; use a uri`,
      field: 'ref',
    };
  }
  const kind = ref.kind as AddressableKind;
  if (ref.apiVersion !== undefined && ref.apiVersion !== EXPECTED_API_VERSION[kind]) {
    return {
      error: `a ${kind} ref needs apiVersion ${EXPECTED_API_VERSION[kind]}; got '${ref.apiVersion}'`,
      field: 'ref',
    };
  }
  if (!has(kind, ns, ref.name)) {
    return { error: `refers to ${kind} '${ns}/${ref.name}', which is not defined`, field: 'ref' };
  }
  const resolved: ResolvedDestination = { type: 'addressable', kind, namespace: ns, name: ref.name };
  if (destination.uri !== undefined) resolved.path = destination.uri;
  return resolved;
}

/** Cross-resource checks over everything loaded; returns the issues found. */
export function checkReferences(parsed: readonly ParsedResource[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const index: Index = { byKind: new Map(), connectionTypes: new Map() };
  const at = (origin: ResourceOrigin, path: string, message: string) =>
    issues.push({
      file: origin.file,
      document: origin.document,
      path: pathInDocument(origin, path),
      message,
    });

  let gatewayOrigin: ResourceOrigin | undefined;
  for (const { kind, resource } of parsed) {
    const r = resource as AnyResource;
    if (kind === 'Gateway') {
      if (gatewayOrigin !== undefined) {
        at(
          r.origin,
          'kind',
          `only one Gateway may be defined; the first is at ${gatewayOrigin.file}:${gatewayOrigin.document}`,
        );
      } else gatewayOrigin = r.origin;
      continue;
    }
    let names = index.byKind.get(kind);
    if (names === undefined) {
      names = new Map();
      index.byKind.set(kind, names);
    }
    const k = key(r.metadata.namespace, r.metadata.name);
    const first = names.get(k);
    if (first !== undefined) {
      at(
        r.origin,
        'metadata.name',
        `duplicate ${kind} '${k}' (first defined at ${first.file}:${first.document})`,
      );
      continue;
    }
    names.set(k, r.origin);
    if (kind === 'Connection') index.connectionTypes.set(k, r.type as ConnectionType);
  }

  const has = (kind: AddressableKind, namespace: string, name: string) =>
    index.byKind.get(kind)?.has(key(namespace, name)) ?? false;

  const checkDestination = (r: AnyResource, destination: unknown, path: string) => {
    if (destination === undefined || destination === null || typeof destination !== 'object') return;
    if ('peer' in destination) {
      const peer = (destination as { peer: string }).peer;
      if (!index.byKind.get('Peer')?.has(key(r.metadata.namespace, peer))) {
        at(
          r.origin,
          `${path}.peer`,
          `refers to Peer '${r.metadata.namespace}/${peer}', which is not defined`,
        );
      }
      return;
    }
    const result = resolveDestinationIn(has, destination as Destination, r.metadata.namespace);
    if ('error' in result) at(r.origin, `${path}.${result.field}`, result.error);
  };

  const checkDelivery = (r: AnyResource, delivery: unknown, path: string) => {
    const dls = (delivery as { deadLetterSink?: unknown } | undefined)?.deadLetterSink;
    checkDestination(r, dls, `${path}.deadLetterSink`);
  };

  const checkConnection = (r: AnyResource, name: unknown, path: string, type: ConnectionType) => {
    if (typeof name !== 'string') return;
    const k = key(r.metadata.namespace, name);
    const actual = index.connectionTypes.get(k);
    if (actual === undefined) at(r.origin, path, `refers to Connection '${k}', which is not defined`);
    else if (actual !== type)
      at(r.origin, path, `Connection '${k}' is a ${actual} connection; ${r.kind} needs ${type}`);
  };

  for (const { kind, resource } of parsed) {
    const r = resource as AnyResource;
    const spec = r.spec;
    switch (kind) {
      case 'Broker': {
        const config = spec.config as KReference | undefined;
        checkDelivery(r, spec.delivery, 'spec.delivery');
        if (config?.kind === 'Connection') {
          if (config.apiVersion !== undefined && config.apiVersion !== 'meshgate.io/v1alpha1') {
            at(
              r.origin,
              'spec.config.apiVersion',
              `a Connection ref needs apiVersion meshgate.io/v1alpha1; got '${config.apiVersion}'`,
            );
          }
          const k = key(config.namespace ?? r.metadata.namespace, config.name);
          if (!index.connectionTypes.has(k)) {
            at(r.origin, 'spec.config', `refers to Connection '${k}', which is not defined`);
          }
        }
        break;
      }
      case 'Trigger': {
        const brokerRef = spec.brokerRef as KReference | undefined;
        const ns = brokerRef?.namespace ?? r.metadata.namespace;
        const broker = brokerRef?.name ?? (spec.broker as string);
        if (!has('Broker', ns, broker)) {
          at(
            r.origin,
            brokerRef ? 'spec.brokerRef' : 'spec.broker',
            `refers to Broker '${ns}/${broker}', which is not defined`,
          );
        }
        checkDestination(r, spec.subscriber, 'spec.subscriber');
        checkDelivery(r, spec.delivery, 'spec.delivery');
        break;
      }
      case 'KafkaSource':
      case 'RabbitmqSource':
      case 'NatsSource':
      case 'PubSubSource':
        checkDestination(r, spec.sink, 'spec.sink');
        checkDelivery(r, spec.delivery, 'spec.delivery');
        if (kind !== 'KafkaSource') {
          const type = ({ RabbitmqSource: 'rabbitmq', NatsSource: 'nats', PubSubSource: 'pubsub' } as const)[
            kind
          ];
          checkConnection(r, spec.connection, 'spec.connection', type);
        }
        break;
      case 'RabbitmqSink':
      case 'NatsSink':
      case 'PubSubSink': {
        const type = ({ RabbitmqSink: 'rabbitmq', NatsSink: 'nats', PubSubSink: 'pubsub' } as const)[kind];
        checkConnection(r, spec.connection, 'spec.connection', type);
        break;
      }
      case 'Bridge': {
        const source = spec.source as Record<string, { connection?: string } | undefined>;
        for (const type of ['kafka', 'rabbitmq', 'nats', 'pubsub'] as const) {
          const s = source[type];
          if (s !== undefined) checkConnection(r, s.connection, `spec.source.${type}.connection`, type);
        }
        checkDestination(r, spec.sink, 'spec.sink');
        checkDelivery(r, spec.delivery, 'spec.delivery');
        break;
      }
      default:
        break;
    }
  }
  return issues;
}
