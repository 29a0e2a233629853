/**
 * Everything that accepts CloudEvents at `/<namespace>/<name>` on the gateway: Broker ingresses
 * and Sinks (KafkaSink & co, which Knative serves at the same path shape).
 */
import type { MeshEvent } from '@meshgate/core';

export interface Addressable {
  kind: 'broker' | 'sink';
  key: string;
  maxBodyBytes: number;
  /** Resolves once the events are safe (in the Broker's channel, or acknowledged by the middleware). */
  accept(events: readonly MeshEvent[]): Promise<void>;
  /** Counts a refused request by reason (for the admin API and metrics). */
  reject?(reason: string): void;
}

export interface AddressableLookup {
  addressable(namespace: string, name: string): Addressable | undefined;
}
