/**
 * What changed between two loaded configs, per kind: added, removed, changed (deep equality on
 * what drives behaviour: spec, parsed settings, credentials), unchanged. The gateway applies
 * only the difference, so an unchanged Trigger keeps its queue and its in-flight deliveries.
 */
import type { LoadedConfig } from './loaded-config.js';
import { SecretValue } from './secrets.js';

export interface ResourceChanges<T> {
  added: T[];
  removed: T[];
  /** Same kind, namespace and name; different spec, settings or credentials. */
  changed: { previous: T; next: T }[];
  unchanged: T[];
}

type Collections = Omit<LoadedConfig, 'gateway' | 'files' | 'connections'> & {
  connections: LoadedConfig['connections'] extends ReadonlyMap<string, infer C> ? readonly C[] : never;
};

export type ConfigDiff = { [K in keyof Collections]: ResourceChanges<Collections[K][number]> } & {
  /** The Gateway settings differ (the HTTP listener or logging may need a restart). */
  gatewayChanged: boolean;
};

interface Keyed {
  kind: string;
  metadata: { namespace: string; name: string };
}

function keyOf(r: Keyed): string {
  return `${r.kind}/${r.metadata.namespace}/${r.metadata.name}`;
}

/** The parts of a resource that decide what the gateway does with it. */
function behaviour(r: object): unknown {
  const { spec, settings, credentials, type } = r as Record<string, unknown>;
  return { spec, settings, credentials, type };
}

function diffList<T extends Keyed>(previous: readonly T[], next: readonly T[]): ResourceChanges<T> {
  const before = new Map(previous.map((r) => [keyOf(r), r]));
  const changes: ResourceChanges<T> = { added: [], removed: [], changed: [], unchanged: [] };
  const seen = new Set<string>();
  for (const r of next) {
    const key = keyOf(r);
    seen.add(key);
    const old = before.get(key);
    if (old === undefined) changes.added.push(r);
    else if (deepEqual(behaviour(old), behaviour(r))) changes.unchanged.push(r);
    else changes.changed.push({ previous: old, next: r });
  }
  for (const [key, r] of before) if (!seen.has(key)) changes.removed.push(r);
  return changes;
}

/** Compares two configs resource by resource. */
export function diffConfig(previous: LoadedConfig, next: LoadedConfig): ConfigDiff {
  const { origin: _a, ...gatewayBefore } = previous.gateway;
  const { origin: _b, ...gatewayAfter } = next.gateway;
  return {
    gatewayChanged: !deepEqual(gatewayBefore, gatewayAfter),
    connections: diffList([...previous.connections.values()], [...next.connections.values()]),
    brokers: diffList(previous.brokers, next.brokers),
    triggers: diffList(previous.triggers, next.triggers),
    kafkaSources: diffList(previous.kafkaSources, next.kafkaSources),
    kafkaSinks: diffList(previous.kafkaSinks, next.kafkaSinks),
    sources: diffList(previous.sources, next.sources),
    sinks: diffList(previous.sinks, next.sinks),
    peers: diffList(previous.peers, next.peers),
    bridges: diffList(previous.bridges, next.bridges),
  };
}

/** True when nothing was added, removed or changed anywhere. */
export function isEmptyDiff(diff: ConfigDiff): boolean {
  if (diff.gatewayChanged) return false;
  for (const [key, value] of Object.entries(diff)) {
    if (key === 'gatewayChanged') continue;
    const c = value as ResourceChanges<unknown>;
    if (c.added.length > 0 || c.removed.length > 0 || c.changed.length > 0) return false;
  }
  return true;
}

/** Structural equality of plain data; secrets compare by source and value. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof SecretValue || b instanceof SecretValue) {
    return a instanceof SecretValue && b instanceof SecretValue && a.equals(b);
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
