/**
 * What the router runs, as plain data: the gateway turns loaded configuration (Knative
 * manifests, meshgate kinds) into these, resolving refs to URLs on the way.
 */
import type { DeliverySpec } from '../delivery/index.js';
import type { TriggerFilterSpec } from '../filter/index.js';

export interface BrokerDefinition {
  namespace: string;
  name: string;
  /** The Broker's delivery spec; a Trigger's own `delivery` replaces it as a whole. */
  delivery?: DeliverySpec;
  /**
   * Where the Broker keeps its events. Opaque to the router: the channel factory the gateway
   * passes in reads it (`{ kind: 'memory' }`, `{ kind: 'kafka', connection, topic }`, ...).
   */
  channel: { kind: string; [key: string]: unknown };
  /** Memory channel: how many events may wait for delivery before ingress answers 429. */
  bufferSize?: number;
  /** Largest accepted request body in bytes (ingress answers 413 above it). */
  maxBodyBytes?: number;
}

export interface TriggerDefinition {
  namespace: string;
  name: string;
  /** The Broker's name, in the Trigger's namespace (Knative's rule). */
  broker: string;
  filter: TriggerFilterSpec;
  subscriberUrl: string;
  /** The Trigger's own delivery spec; when absent the Broker's applies. */
  delivery?: DeliverySpec;
  /** How many deliveries may be in flight at once for this Trigger. */
  maxInFlight?: number;
  /** One event at a time, in order (Knative Kafka broker's `delivery.order: ordered`). */
  ordered?: boolean;
  /** Where a new Trigger starts on a durable channel: `latest` ("now", the default) or `earliest`. */
  startFrom?: 'latest' | 'earliest';
  contentMode?: 'binary' | 'structured';
}

export const DEFAULT_BUFFER_SIZE = 10_000;
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_MAX_IN_FLIGHT = 64;

export function brokerKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
