/**
 * The topology view (`GET /api/v1/topology`): nodes (gateway, Brokers, Triggers, subscribers,
 * dead-letter sinks, Sources, Sinks, federation peers) and edges with live rates from the
 * router's and connectors' counters. URLs that point back at this gateway are drawn as edges to
 * the Broker or Sink they name.
 */
import type { BrokerRuntime, ComponentStatus, Router, TriggerRuntime } from '@meshgate/core';
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
/** ok; warning (a backlog); error (dead letters, failures, a channel or connection not ready). */
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
  /** What flows: ingress, filter (events passing the Trigger's filter), delivery, dead-letter, ... */
  kind: 'ingress' | 'filter' | 'delivery' | 'dead-letter' | 'source' | 'sink' | 'peer';
  /** Events per second over the last few seconds. */
  rate: number;
  /** Failures per second (retries, dead letters, drops, refused), where they are counted. */
  errorRate?: number;
}

export interface Topology {
  gateway: string;
  at: string;
  windowSeconds: number;
  nodes: TopologyNode[];
  edges: TopologyEdge[];
}

/** A federation peer as the Gateway reports it, with its link's counters. */
export interface PeerView {
  id: string;
  url: string;
  /** False until the peer's first interest announcement since this gateway started. */
  interestKnown?: boolean;
  counters: { forwarded: number; failed: number };
}

/** What the connectors run, as their runtime lists it (`GatewayConnectorRuntime.list()`). */
export interface ConnectorsView {
  list(): {
    sources: {
      key: string;
      kind: string;
      sink: string;
      status: ComponentStatus;
      counters: { delivered: number; deadLettered: number; failed: number; dropped: number };
      lastError?: string;
    }[];
    sinks: {
      key: string;
      kind: string;
      status: ComponentStatus;
      counters: { accepted: number; failed: number };
      lastError?: string;
    }[];
  };
}

export interface TopologyInput {
  router: Router;
  model: GatewayModel | undefined;
  deadLetters: DeadLetterLog;
  rates: RateTracker;
  windowSeconds: number;
  peers?: readonly PeerView[];
  connectors?: ConnectorsView | undefined;
  /** This gateway's URL, to tell its own Brokers and Sinks among delivery URLs. */
  selfUrl?: string | undefined;
}

export function buildTopology(input: TopologyInput): Topology {
  const { router, model, deadLetters, rates } = input;
  const brokers = router.listBrokers();
  const triggers = router.listTriggers();
  const peers = input.peers ?? [];
  const { sources, sinks } = input.connectors?.list() ?? { sources: [], sinks: [] };
  const gatewayId = model?.id ?? 'gateway';

  // One sample of every counter, so each rate is computed over the same window.
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
  for (const s of sources) {
    counters.set(`src:${s.key}:ok`, s.counters.delivered);
    counters.set(`src:${s.key}:err`, s.counters.deadLettered + s.counters.failed + s.counters.dropped);
  }
  for (const s of sinks) {
    counters.set(`snk:${s.key}:ok`, s.counters.accepted);
    counters.set(`snk:${s.key}:err`, s.counters.failed);
  }
  const rate = rates.observe(counters);
  const r = (key: string) => round(rate.get(key) ?? 0);

  const nodes: TopologyNode[] = [
    { id: 'gateway', kind: 'gateway', label: gatewayId, state: 'ok', details: { id: gatewayId } },
  ];
  const edges: TopologyEdge[] = [];
  const federated = new Set(model?.federation?.brokers ?? []);
  const brokerKeys = new Set(brokers.map((b) => b.key));
  const sinkKeys = new Set(sinks.map((s) => s.key));
  const endpoints = new Map<string, TopologyNode>();
  /** The node a delivery URL reaches: this gateway's Broker or Sink, else an outside endpoint. */
  const target = (url: string, kind: 'subscriber' | 'deadLetterSink'): string => {
    const own = ownPath(url, input.selfUrl);
    if (own && brokerKeys.has(own)) return `broker:${own}`;
    if (own && sinkKeys.has(own)) return `sink:${own}`;
    return endpointNode(endpoints, kind, url).id;
  };

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
  for (const s of sinks) {
    nodes.push(componentNode(`sink:${s.key}`, 'sink', s.key, s, s.counters.failed > 0));
    edges.push({
      id: `sink-ingress:${s.key}`,
      source: 'gateway',
      target: `sink:${s.key}`,
      kind: 'sink',
      rate: r(`snk:${s.key}:ok`),
      errorRate: r(`snk:${s.key}:err`),
    });
  }
  for (const t of triggers) {
    nodes.push(triggerNode(t, deadLetters.total(t.key)));
    edges.push({
      id: `filter:${t.key}`,
      source: `broker:${t.brokerKey}`,
      target: `trigger:${t.key}`,
      kind: 'filter',
      rate: r(`t:${t.key}:in`),
    });
    edges.push({
      id: `delivery:${t.key}`,
      source: `trigger:${t.key}`,
      target: target(t.definition.subscriberUrl, 'subscriber'),
      kind: 'delivery',
      rate: r(`t:${t.key}:ok`),
      errorRate: r(`t:${t.key}:err`),
    });
    const dls = t.definition.delivery?.deadLetterSink?.uri;
    if (dls) {
      edges.push({
        id: `dead-letter:${t.key}`,
        source: `trigger:${t.key}`,
        target: target(dls, 'deadLetterSink'),
        kind: 'dead-letter',
        rate: r(`t:${t.key}:dl`),
      });
    }
  }
  for (const s of sources) {
    const c = s.counters;
    nodes.push(
      componentNode(`source:${s.key}`, 'source', s.key, s, c.deadLettered + c.failed + c.dropped > 0),
    );
    edges.push({
      id: `source-delivery:${s.key}`,
      source: `source:${s.key}`,
      target: target(s.sink, 'subscriber'),
      kind: 'source',
      rate: r(`src:${s.key}:ok`),
      errorRate: r(`src:${s.key}:err`),
    });
  }
  for (const p of peers) {
    const failed = p.counters.failed > 0;
    const unheard = p.interestKnown === false;
    nodes.push({
      id: `peer:${p.id}`,
      kind: 'peer',
      label: p.id,
      state: failed ? 'error' : unheard ? 'warning' : 'ok',
      ...(failed && { reason: `${p.counters.failed} events not accepted by the peer` }),
      ...(!failed &&
        unheard && {
          reason:
            'no interest announcement since this gateway started: forwarding waits up to peerInterestWait, then sends it nothing until one arrives',
        }),
      details: { id: p.id, url: p.url, counters: p.counters, brokers: [...federated] },
    });
    edges.push({
      id: `forward:${p.id}`,
      source: 'gateway',
      target: `peer:${p.id}`,
      kind: 'peer',
      rate: r(`p:${p.id}:ok`),
      errorRate: r(`p:${p.id}:err`),
    });
  }
  nodes.push(...endpoints.values());
  return {
    gateway: gatewayId,
    at: new Date().toISOString(),
    windowSeconds: input.windowSeconds,
    nodes,
    edges,
  };
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

/** A Source or Sink: error when its connection is not ready or events failed. */
function componentNode(
  id: string,
  kind: 'source' | 'sink',
  key: string,
  c: { kind: string; status: ComponentStatus; counters: object; lastError?: string; sink?: string },
  failing: boolean,
): TopologyNode {
  const ready = c.status.state === 'ready';
  const name = key.slice(key.lastIndexOf(' ') + 1);
  const state: NodeState = !ready || failing ? 'error' : 'ok';
  const reason = !ready
    ? `${c.status.state}${c.status.reason ? `: ${c.status.reason}` : ''}`
    : failing
      ? `events failed${c.lastError ? `; last error: ${c.lastError}` : ''}`
      : undefined;
  return {
    id,
    kind,
    label: `${name.slice(name.indexOf('/') + 1)} (${c.kind})`,
    state,
    ...(reason && { reason }),
    details: {
      namespace: name.slice(0, name.indexOf('/')),
      name: name.slice(name.indexOf('/') + 1),
      kind: c.kind,
      ...(c.sink && { sink: c.sink }),
      status: c.status,
      counters: c.counters,
      ...(c.lastError && { lastError: c.lastError }),
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

/** `namespace/name` when `url` is `<selfUrl>/<namespace>/<name>`. */
function ownPath(url: string, selfUrl: string | undefined): string | undefined {
  if (!selfUrl) return undefined;
  try {
    const u = new URL(url);
    const self = new URL(selfUrl);
    const samePort = (u.port || '80') === (self.port || '80');
    const local = (h: string) =>
      h === 'localhost' || h === '127.0.0.1' || h === '[::1]' || h === self.hostname;
    if (!samePort || !local(u.hostname)) return undefined;
    const parts = u.pathname.split('/').filter(Boolean);
    return parts.length === 2 ? parts.map(decodeURIComponent).join('/') : undefined;
  } catch {
    return undefined;
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
