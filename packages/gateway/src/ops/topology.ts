/**
 * The topology view (`GET /api/v1/topology`): nodes (gateway, brokers, triggers, subscribers,
 * dead-letter sinks, and sources, sinks and peers when the model has them) and edges with live
 * rates from the router's counters.
 */
import type { BrokerRuntime, Router, TriggerRuntime } from '@meshgate/core';
import type { GatewayModel } from '../model.js';
import type { DeadLetterLog } from './dead-letters.js';
import type { RateTracker } from './rates.js';

export type NodeKind =
  | 'gateway'
  | 'broker'
  | 'trigger'
  | 'subscriber'
  | 'deadLetterSink'
  | 'source'
  | 'sink'
  | 'peer';
/** ok; warning (a backlog); error (dead letters, failures, a channel not ready). */
export type NodeState = 'ok' | 'warning' | 'error';

export interface TopologyNode {
  id: string;
  kind: NodeKind;
  label: string;
  state: NodeState;
  /** Why the state is not ok. */
  reason?: string;
  /** The node's configuration and counters, as the admin API shows them. */
  details: Record<string, unknown>;
}

export interface TopologyEdge {
  id: string;
  source: string;
  target: string;
  /** What flows: ingress, filter (events passing the Trigger's filter), delivery, dead-letter. */
  kind: 'ingress' | 'filter' | 'delivery' | 'dead-letter' | 'source' | 'sink' | 'peer';
  /** Events per second over the last few seconds. */
  rate: number;
  /** Failed deliveries (retries, dead letters, drops) per second, on delivery edges. */
  errorRate?: number;
}

export interface Topology {
  gateway: string;
  at: string;
  windowSeconds: number;
  nodes: TopologyNode[];
  edges: TopologyEdge[];
}

/** Optional parts of a model that grow with connectors (sources, sinks), when the model has them. */
interface NamedPart {
  namespace?: string;
  name: string;
  kind?: string;
  broker?: string;
  url?: string;
}

/** A federation peer as the Gateway reports it, with its link's counters. */
export interface PeerView {
  id: string;
  url: string;
  counters: { forwarded: number; failed: number };
}

export function buildTopology(
  router: Router,
  model: GatewayModel | undefined,
  deadLetters: DeadLetterLog,
  rates: RateTracker,
  windowSeconds: number,
  peers: readonly PeerView[] = [],
): Topology {
  const brokers = router.listBrokers();
  const triggers = router.listTriggers();
  const gatewayId = model?.id ?? 'gateway';
  const counters = new Map<string, number>();
  for (const b of brokers) counters.set(`b:${b.key}`, b.counters.received);
  for (const t of triggers) {
    const c = t.counters;
    counters.set(`t:${t.key}:in`, c.received);
    counters.set(`t:${t.key}:ok`, c.delivered);
    counters.set(`t:${t.key}:dl`, c.deadLettered);
    counters.set(`t:${t.key}:err`, c.retried + c.failed + c.dropped + c.deadLettered);
  }
  for (const p of peers) {
    counters.set(`p:${p.id}:ok`, p.counters.forwarded);
    counters.set(`p:${p.id}:err`, p.counters.failed);
  }
  const rate = rates.observe(counters);
  const r = (key: string) => round(rate.get(key) ?? 0);

  const federated = new Set(model?.federation?.brokers ?? []);
  const nodes: TopologyNode[] = [
    { id: 'gateway', kind: 'gateway', label: gatewayId, state: 'ok', details: { id: gatewayId } },
  ];
  const edges: TopologyEdge[] = [];
  for (const b of brokers) {
    nodes.push(brokerNode(b, federated.has(b.key)));
    edges.push({
      id: `ingress:${b.key}`,
      source: 'gateway',
      target: `broker:${b.key}`,
      kind: 'ingress',
      rate: r(`b:${b.key}`),
    });
  }
  const endpoints = new Map<string, TopologyNode>();
  for (const t of triggers) {
    nodes.push(triggerNode(t, deadLetters.total(t.key)));
    const brokerId = `broker:${t.definition.namespace}/${t.definition.broker}`;
    edges.push({
      id: `filter:${t.key}`,
      source: brokerId,
      target: `trigger:${t.key}`,
      kind: 'filter',
      rate: r(`t:${t.key}:in`),
    });
    const sub = endpointNode(endpoints, 'subscriber', t.definition.subscriberUrl);
    edges.push({
      id: `delivery:${t.key}`,
      source: `trigger:${t.key}`,
      target: sub.id,
      kind: 'delivery',
      rate: r(`t:${t.key}:ok`),
      errorRate: r(`t:${t.key}:err`),
    });
    const dls = deadLetterUrl(t);
    if (dls) {
      const node = endpointNode(endpoints, 'deadLetterSink', dls);
      edges.push({
        id: `dead-letter:${t.key}`,
        source: `trigger:${t.key}`,
        target: node.id,
        kind: 'dead-letter',
        rate: r(`t:${t.key}:dl`),
      });
    }
  }
  nodes.push(...endpoints.values());
  for (const p of peers) {
    const failed = p.counters.failed > 0;
    nodes.push({
      id: `peer:${p.id}`,
      kind: 'peer',
      label: p.id,
      state: failed ? 'error' : 'ok',
      ...(failed && { reason: `${p.counters.failed} events not accepted by the peer` }),
      details: { id: p.id, url: p.url, counters: p.counters, brokers: [...federated] },
    });
    edges.push({
      id: `peer:${p.id}`,
      source: 'gateway',
      target: `peer:${p.id}`,
      kind: 'peer',
      rate: r(`p:${p.id}:ok`),
      errorRate: r(`p:${p.id}:err`),
    });
  }
  addOptionalParts(model, nodes, edges);
  return { gateway: gatewayId, at: new Date().toISOString(), windowSeconds, nodes, edges };
}

function brokerNode(b: BrokerRuntime, federated: boolean): TopologyNode {
  const status = b.channel.status();
  const ready = status.state === 'ready';
  return {
    id: `broker:${b.key}`,
    kind: 'broker',
    label: b.definition.name,
    state: ready ? 'ok' : 'error',
    ...(!ready && { reason: `channel ${status.state}${status.reason ? `: ${status.reason}` : ''}` }),
    details: {
      namespace: b.definition.namespace,
      name: b.definition.name,
      channel: { kind: b.channel.kind, durable: b.channel.durable },
      ...(federated && { federated: true }),
      status,
      counters: b.counters,
      ...(b.definition.delivery && { delivery: b.definition.delivery }),
    },
  };
}

function triggerNode(t: TriggerRuntime, deadLetters: number): TopologyNode {
  const c = t.counters;
  const backlog = t.subscription?.backlog();
  let state: NodeState = 'ok';
  let reason: string | undefined;
  if (c.deadLettered > 0 || c.failed > 0 || c.dropped > 0) {
    state = 'error';
    reason = `${c.deadLettered} dead-lettered, ${c.failed} failed, ${c.dropped} dropped${t.lastError ? `; last error: ${t.lastError}` : ''}`;
  } else if (backlog !== undefined && backlog > 0) {
    state = 'warning';
    reason = `${backlog} events waiting`;
  }
  const d = t.definition;
  return {
    id: `trigger:${t.key}`,
    kind: 'trigger',
    label: d.name,
    state,
    ...(reason && { reason }),
    details: {
      namespace: d.namespace,
      name: d.name,
      broker: d.broker,
      subscriber: d.subscriberUrl,
      filter: d.filter,
      ...(d.delivery && { delivery: d.delivery }),
      counters: { ...c, backlog, deadLettersRecorded: deadLetters },
      ...(t.lastError && { lastError: t.lastError }),
    },
  };
}

function endpointNode(
  nodes: Map<string, TopologyNode>,
  kind: 'subscriber' | 'deadLetterSink',
  url: string,
): TopologyNode {
  const id = `${kind}:${url}`;
  let node = nodes.get(id);
  if (!node) {
    const label = kind === 'deadLetterSink' ? `dead letters → ${shortUrl(url)}` : shortUrl(url);
    node = { id, kind, label, state: 'ok', details: { url } };
    nodes.set(id, node);
  }
  return node;
}

function deadLetterUrl(t: TriggerRuntime): string | undefined {
  const sink = t.definition.delivery?.deadLetterSink;
  return sink?.uri;
}

function addOptionalParts(
  model: GatewayModel | undefined,
  nodes: TopologyNode[],
  edges: TopologyEdge[],
): void {
  if (!model) return;
  const extra = model as unknown as { sources?: NamedPart[]; sinks?: NamedPart[] };
  const key = (p: NamedPart) => (p.namespace ? `${p.namespace}/${p.name}` : p.name);
  for (const s of Array.isArray(extra.sources) ? extra.sources : []) {
    const id = `source:${key(s)}`;
    nodes.push({ id, kind: 'source', label: s.name, state: 'ok', details: { ...s } });
    if (s.namespace && s.broker)
      edges.push({
        id: `source:${key(s)}`,
        source: id,
        target: `broker:${s.namespace}/${s.broker}`,
        kind: 'source',
        rate: 0,
      });
  }
  for (const s of Array.isArray(extra.sinks) ? extra.sinks : []) {
    const id = `sink:${key(s)}`;
    nodes.push({ id, kind: 'sink', label: s.name, state: 'ok', details: { ...s } });
    edges.push({ id: `sink:${key(s)}`, source: 'gateway', target: id, kind: 'sink', rate: 0 });
  }
}

function shortUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return url;
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
