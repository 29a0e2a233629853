/**
 * Sends a Broker's events on to the peers that lead to interested gateways, with the core
 * delivery engine (retries, backoff, Retry-After; the same contract as a Trigger). The caller
 * reads the Broker's channel like a Trigger would and acks an event only once `forward` says so:
 * while a peer is unreachable, the event stays in the channel (a durable channel keeps it across
 * a restart) and flows when the link is back. Peers that already accepted it before the retry
 * drop the repeat in their dedup window.
 */
import type { DeliveryClock, DeliveryOutcome } from '../delivery/deliver.js';
import { deliverWithRetries } from '../delivery/deliver.js';
import type { DeliveryPolicy } from '../delivery/policy.js';
import type { AddressableSender } from '../delivery/sender.js';
import type { MeshEvent } from '../event/mesh-event.js';
import type { DeliveryTracer } from '../router/observer.js';
import type { InterestTable } from './interest-table.js';
import { canForward, recordHop, withTargets } from './route.js';

/** How to reach one peer. */
export interface PeerLink {
  /** The peer's gateway id. */
  id: string;
  /** Base URL of the peer's federation endpoint; an event of Broker ns/name goes to `<url>/<ns>/<name>`. */
  url: string;
  /** Shared secret sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Extra headers on every request to this peer. */
  headers?: Record<string, string>;
}

export interface PeerCounters {
  /** Events the peer accepted. */
  forwarded: number;
  /** Events not sent to the peer because nothing beyond it was interested. */
  filteredOut: number;
  /** Events not sent because the peer (or every path through it) is on the event's route, or the hop limit is reached. */
  looped: number;
  /** Forwarding attempts that ended without the peer accepting (after all retries). */
  failed: number;
  /** Bytes of the events the peer accepted: data plus attribute names and values (headers excluded). */
  bytes: number;
}

export interface PeerForwarderOptions {
  table: InterestTable;
  sender: AddressableSender;
  /** Retries, backoff and timeout per peer request; a `deadLetterUrl` here gives up on a peer for good. */
  policy: DeliveryPolicy;
  peers?: readonly PeerLink[];
  /** Content mode towards peers (default binary: the data passes through unparsed). */
  mode?: 'binary' | 'structured';
  clock?: DeliveryClock;
  /** A span per copy sent to a peer (`forward <peer>`), in the event's trace. */
  tracer?: DeliveryTracer;
}

export interface PeerDelivery {
  peer: string;
  /** The interested gateways this copy carries the event to. */
  targets: string[];
  outcome: DeliveryOutcome;
}

export interface ForwardResult {
  deliveries: PeerDelivery[];
  /** Every planned peer accepted the event (or it was dead-lettered): ack it. */
  ok: boolean;
  /** Some peer failed transiently: nack the event so that the channel redelivers it. */
  retriable: boolean;
  /** Interested gateways with no usable route from here (see `ForwardPlan.unroutable`). */
  unroutable: string[];
}

export interface ForwardOptions {
  /** Only forward to this peer (one forwarding subscription per peer, each with its own progress). */
  peer?: string;
  /** Aborting stops retrying (shutdown); the result is a retriable failure. */
  signal?: AbortSignal;
}

export class PeerForwarder {
  readonly #table: InterestTable;
  readonly #sender: AddressableSender;
  readonly #policy: DeliveryPolicy;
  readonly #mode: 'binary' | 'structured' | undefined;
  readonly #clock: DeliveryClock | undefined;
  readonly #tracer: DeliveryTracer | undefined;
  #links = new Map<string, PeerLink>();
  readonly #counters = new Map<string, PeerCounters>();

  constructor(options: PeerForwarderOptions) {
    this.#table = options.table;
    this.#sender = options.sender;
    this.#policy = options.policy;
    this.#mode = options.mode;
    this.#clock = options.clock;
    this.#tracer = options.tracer;
    this.setPeers(options.peers ?? []);
  }

  /** Replaces the peer links (configuration reload). Counters of remaining peers are kept. */
  setPeers(peers: readonly PeerLink[]): void {
    this.#links = new Map(peers.map((p) => [p.id, p]));
    for (const id of this.#links.keys()) this.#countersOf(id);
  }

  /** A copy of one peer's counters (zeros for a peer never seen). */
  counters(peer: string): PeerCounters {
    return { ...this.#countersOf(peer) };
  }

  /** A copy of every peer's counters. */
  allCounters(): Record<string, PeerCounters> {
    return Object.fromEntries([...this.#counters].map(([id, c]) => [id, { ...c }]));
  }

  /**
   * Forwards one event of Broker `key` (`namespace/name`) to the peers the interest table plans
   * for it, in parallel, each copy with this gateway on its route and its targets set. Never
   * rejects.
   */
  async forward(key: string, event: MeshEvent, options: ForwardOptions = {}): Promise<ForwardResult> {
    const plan = this.#table.plan(key, event);
    const only = options.peer;
    const looped = new Set(plan.looped);
    for (const peer of only === undefined ? this.#links.keys() : [only]) {
      if (plan.peers.has(peer)) continue;
      if (looped.has(peer)) this.#countersOf(peer).looped++;
      else this.#countersOf(peer).filteredOut++;
    }
    const sends: Promise<PeerDelivery>[] = [];
    for (const [peer, targets] of plan.peers) {
      if (only !== undefined && peer !== only) continue;
      // The plan already avoids the route; this is the rule itself, checked once more on the wire copy's way out.
      if (!canForward(event, peer, this.#table.maxHops)) {
        this.#countersOf(peer).looped++;
        continue;
      }
      sends.push(this.#send(key, peer, targets, event, options.signal));
    }
    const deliveries = await Promise.all(sends);
    let ok = true;
    let retriable = false;
    for (const { outcome } of deliveries) {
      if (outcome.kind !== 'failed') continue;
      ok = false;
      if (outcome.retriable) retriable = true;
    }
    return { deliveries, ok, retriable, unroutable: plan.unroutable };
  }

  async #send(
    key: string,
    peer: string,
    targets: string[],
    event: MeshEvent,
    signal: AbortSignal | undefined,
  ): Promise<PeerDelivery> {
    const counters = this.#countersOf(peer);
    const link = this.#links.get(peer);
    if (link === undefined) {
      counters.failed++;
      const error = `no link configured for peer ${peer}`;
      return { peer, targets, outcome: { kind: 'failed', attempts: 0, error, retriable: true } };
    }
    const copy = recordHop(withTargets(event, targets), this.#table.gatewayId);
    const span = this.#tracer?.startDelivery(peer, event, 'peer');
    const headers = peerHeaders(link.headers, span?.headers, link.token);
    const outcome = await deliverWithRetries(
      {
        url: peerBrokerUrl(link.url, key),
        event: copy,
        policy: this.#policy,
        headers,
        ...(this.#mode !== undefined && { mode: this.#mode }),
        ...(signal !== undefined && { signal }),
      },
      this.#sender,
      this.#clock,
    );
    if (outcome.kind === 'delivered') {
      counters.forwarded++;
      counters.bytes += approximateSize(copy);
    } else {
      counters.failed++;
    }
    span?.end(
      outcome.kind === 'delivered' ? 'delivered' : 'failed',
      'error' in outcome ? outcome.error : undefined,
    );
    return { peer, targets, outcome };
  }

  #countersOf(peer: string): PeerCounters {
    let c = this.#counters.get(peer);
    if (c === undefined) {
      c = { forwarded: 0, filteredOut: 0, looped: 0, failed: 0, bytes: 0 };
      this.#counters.set(peer, c);
    }
    return c;
  }
}

/** `<base>/<namespace>/<name>` for Broker key `namespace/name`, each segment URL-encoded. */
export function peerBrokerUrl(base: string, key: string): string {
  const slash = key.indexOf('/');
  const namespace = key.slice(0, slash);
  const name = key.slice(slash + 1);
  return `${base.replace(/\/+$/, '')}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
}

/** Data bytes plus attribute names and values: what a binary-mode request carries, headers' framing aside. */
export function approximateSize(event: MeshEvent): number {
  let size = event.data?.byteLength ?? 0;
  const attributes = event.attributes;
  for (const name in attributes) {
    const value = attributes[name];
    size +=
      name.length +
      (value instanceof Uint8Array ? Math.ceil(value.byteLength / 3) * 4 : String(value).length);
  }
  return size;
}

/**
 * A peer request's headers: the link's, the span's, then the bearer token. Copied key by key:
 * adding a key to a spread clone is slow in V8 (it showed in the federation profile).
 */
function peerHeaders(
  link: Record<string, string> | undefined,
  span: Record<string, string> | undefined,
  token: string | undefined,
): Record<string, string> {
  const headers: Record<string, string> = {};
  if (link !== undefined) for (const k in link) headers[k] = link[k] as string;
  if (span !== undefined) for (const k in span) headers[k] = span[k] as string;
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return headers;
}
