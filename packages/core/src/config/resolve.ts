/** Resolving a Destination against a loaded config, for the gateway's delivery wiring. */
import { ConfigError } from '../errors.js';
import type { Destination } from './common.js';
import type { AddressableKind } from './kinds.js';
import { type LoadedConfig, resourceKey } from './loaded-config.js';
import { type ResolvedDestination, resolveDestinationIn } from './references.js';

export type { ResolvedDestination };

/**
 * What `destination` (written in a resource of `namespace`) delivers to: an absolute URL, a
 * meshgate Addressable (Broker or Sink, with the relative `uri` as `path`), or a Broker on a peer.
 * Throws ConfigError only for a destination the loader did not check (it checks every one it loads).
 */
export function resolveDestination(
  config: LoadedConfig,
  destination: Destination | { peer: string; broker: string; namespace?: string },
  namespace: string,
): ResolvedDestination {
  if ('peer' in destination) {
    return {
      type: 'peer-broker',
      peer: destination.peer,
      broker: destination.broker,
      namespace: destination.namespace ?? namespace,
    };
  }
  const has = (kind: AddressableKind, ns: string, name: string) => {
    const list =
      kind === 'Broker'
        ? config.brokers
        : kind === 'KafkaSink'
          ? config.kafkaSinks
          : config.sinks.filter((s) => s.kind === kind);
    return list.some((r) => resourceKey(r.metadata.namespace, r.metadata.name) === resourceKey(ns, name));
  };
  const result = resolveDestinationIn(has, destination, namespace);
  if ('error' in result)
    throw new ConfigError(`unresolvable destination: ${result.error}`, [
      { path: result.field, message: result.error },
    ]);
  return result;
}
