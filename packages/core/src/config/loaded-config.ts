/** The shape the gateway runs from: every resource by kind, plain data, frozen. */
import type { BrokerResource, KafkaSinkResource, KafkaSourceResource, TriggerResource } from './knative.js';
import type {
  BridgeResource,
  ConnectionResource,
  GatewaySecuritySettings,
  ListenerTlsSettings,
  PeerResource,
  SinkResource,
  SourceResource,
} from './meshgate.js';
import type { ResourceOrigin } from './resource.js';
import type { SecretValue } from './secrets.js';

/** The process settings: from the one `Gateway` document, or defaults when there is none. */
export interface GatewaySettings {
  /** Gateway id used in federation routes (spec.id, else metadata.name, else the host name). */
  id: string;
  http: { host: string; port: number; maxBodyBytes: number; tls?: ListenerTlsSettings };
  admin: { token?: SecretValue };
  logging: { level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent' };
  /** Kyma's legacy event ingress target, when configured. */
  kyma?: { namespace: string; broker: string };
  /** Ingress authentication, policies, limits and egress rules (docs/security.md), when set. */
  security?: GatewaySecuritySettings;
  /** Federation settings (`spec.federation`), when set. */
  federation?: {
    maxHops: number;
    interestRouting: boolean;
    peerInterestWait: string;
    dedup: { window: string; maxEntries: number };
  };
  /** Absent when the defaults are used. */
  origin?: ResourceOrigin;
}

export interface LoadedConfig {
  readonly gateway: GatewaySettings;
  /** Connections by `namespace/name` (see {@link resourceKey}). */
  readonly connections: ReadonlyMap<string, ConnectionResource>;
  readonly brokers: readonly BrokerResource[];
  readonly triggers: readonly TriggerResource[];
  readonly kafkaSources: readonly KafkaSourceResource[];
  readonly kafkaSinks: readonly KafkaSinkResource[];
  /** RabbitmqSource, NatsSource, PubSubSource (tell them apart by `kind`). */
  readonly sources: readonly SourceResource[];
  /** RabbitmqSink, NatsSink, PubSubSink (tell them apart by `kind`). */
  readonly sinks: readonly SinkResource[];
  readonly peers: readonly PeerResource[];
  readonly bridges: readonly BridgeResource[];
  /** The files read, in load order. */
  readonly files: readonly string[];
}

/** `namespace/name`: the key of a resource within its kind. */
export function resourceKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
