/**
 * Everything that accepts CloudEvents on the gateway: Broker ingresses and Sinks at
 * `/<namespace>/<name>` (KafkaSink & co, which Knative serves at the same path shape), and the
 * HTTP sources of Bridges at their own paths (`/bridges/<namespace>/<name>` by default).
 */
import type { MeshEvent } from '@meshgate/core';

export interface Addressable {
  kind: 'broker' | 'sink' | 'bridge';
  key: string;
  maxBodyBytes: number;
  /** Resolves once the events are safe (in the Broker's channel, or acknowledged by the middleware). */
  accept(events: readonly MeshEvent[], from?: import('node:http').IncomingMessage): Promise<void>;
  /** Counts a refused request by reason (for the admin API and metrics). */
  reject?(reason: string): void;
}

export interface AddressableLookup {
  addressable(namespace: string, name: string): Addressable | undefined;
  /** An Addressable served at a path of its own (a Bridge's HTTP source). */
  addressableAt?(path: string): Addressable | undefined;
}

/**
 * Decides whether a request may reach an Addressable (authentication, policies, rate limits).
 * Resolves undefined to let it through, or the refusal to answer with (401, 403, 429, ...).
 * It runs before the body is read; `event` checks (policy filters) happen in `checkEvents`.
 */
export interface IngressGuard {
  admit(
    req: import('node:http').IncomingMessage,
    target: { kind: Addressable['kind'] | 'kyma' | 'peer'; key: string },
  ): Promise<IngressRefusal | undefined> | IngressRefusal | undefined;
  /** Optional second look once the events are decoded (e.g. EventPolicy filters). */
  checkEvents?(
    req: import('node:http').IncomingMessage,
    target: { kind: Addressable['kind'] | 'kyma' | 'peer'; key: string },
    events: readonly MeshEvent[],
  ): IngressRefusal | undefined;
}

export interface IngressRefusal {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}
