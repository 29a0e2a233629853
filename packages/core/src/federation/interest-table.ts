/**
 * What every gateway beyond each peer wants, per federated Broker, and where an event must go.
 *
 * The table holds this gateway's own interest (its Triggers' filters on each federated Broker,
 * set by `setLocalInterest`) and, per peer, the routes learned from that peer's last
 * announcement: one route per interested gateway, with the path of gateways to it and its
 * filters. `buildAnnouncement(peer)` turns both into what this gateway tells that peer:
 * its own filters and, for every gateway it can reach, the best path to it extended by itself
 * (transitive interest along chains), leaving out any path through that peer (split horizon).
 *
 * `plan(broker, event)` decides where an event goes: at the gateway where it was published, to
 * every gateway whose filters match it; further on, to the gateways its copy was made
 * responsible for (`meshgatetargets`). Each target is reached by the best path that avoids
 * every gateway on the event's route: fewest links, ties broken by the lexicographically
 * smallest path. Because every gateway on the way picks its best path the same way, the paths
 * from one origin to all its targets form a tree: each event crosses each link at most once and
 * reaches each interested gateway once when the tables agree. While they do not (seconds after
 * a change), the route still prevents loops and the receivers' dedup window drops duplicates.
 */
import { randomUUID } from 'node:crypto';
import { ConfigError, type ConfigIssue } from '../errors.js';
import type { MeshEvent } from '../event/mesh-event.js';
import { compileFilter, TriggerFilter } from '../filter/compile.js';
import { NO_FILTER } from '../filter/filter-node.js';
import { TriggerIndex } from '../filter/trigger-index.js';
import type { CompiledFilter, TriggerFilterSpec } from '../filter/types.js';
import { brokerKey } from '../router/definitions.js';
import {
  ANNOUNCEMENT_PROTOCOL,
  type BrokerInterest,
  type GatewayInterest,
  type InterestAnnouncement,
  InvalidAnnouncementError,
  MAX_ANNOUNCED_FILTERS,
  parseAnnouncement,
} from './announcement.js';
import { assertGatewayId, DEFAULT_MAX_HOPS, hopCount, routeTargets, visited } from './route.js';

/** This gateway's Triggers on one federated Broker. */
export interface LocalBrokerInterest {
  namespace: string;
  name: string;
  /** The filter of each local Trigger on the Broker; empty when there is none (still federated). */
  filters: readonly TriggerFilterSpec[];
}

export interface InterestTableOptions {
  gatewayId: string;
  /** Links an event may cross in total; longer paths are neither used nor announced (default 8). */
  maxHops?: number;
  /** Identifies this run of the gateway in its announcements (default: a random UUID). */
  epoch?: string;
  /** Beyond this many distinct filters on one Broker, announce `acceptsAll` instead (default 1,000). */
  maxAnnouncedFilters?: number;
  /**
   * False sends every event to every gateway federated on the Broker that has any Trigger, as
   * if each accepted everything: only there to measure what interest routing saves (default true).
   */
  interestRouting?: boolean;
}

/** A way to an interested gateway, learned from a peer. */
export interface InterestRoute {
  /** The peer it was learned from: the next hop. */
  readonly peer: string;
  /** The interested gateway: `path[path.length - 1]`. */
  readonly gateway: string;
  /** The gateways from the peer to the interested gateway (`path[0]` is the peer). */
  readonly path: readonly string[];
  readonly acceptsAll: boolean;
  readonly filters: readonly TriggerFilterSpec[];
}

/** Where one event goes next. */
export interface ForwardPlan {
  /** Next-hop peer → the interested gateways its copy must reach. */
  readonly peers: Map<string, string[]>;
  /** Peers with a route to a wanted gateway that the event's route or hop limit refuses. */
  readonly looped: string[];
  /** Wanted gateways with no route that avoids the event's route (interest changed, or a link is gone). */
  readonly unroutable: string[];
}

export interface ApplyResult {
  /** False when the announcement was older than one already applied from the same peer. */
  applied: boolean;
  /** True when what this gateway knows changed: announce again to the other peers. */
  changed: boolean;
  /** Paths refused because they contain this gateway (interest that would loop back). */
  refusedPaths: number;
}

interface LocalEntry {
  readonly acceptsAll: boolean;
  readonly filters: TriggerFilterSpec[];
}

interface Route extends InterestRoute {
  /** The Broker's key (`namespace/name`). */
  readonly broker: string;
  readonly compiled: readonly CompiledFilter[];
}

interface PeerState {
  epoch: string;
  version: number;
  routes: Route[];
  signature: string;
}

/** Per Broker: the filters of every learned route, indexed, and the routes by interested gateway. */
interface BrokerRoutes {
  readonly index: TriggerIndex<Route>;
  readonly byGateway: Map<string, Route[]>;
}

const MATCH_ALL = compileFilter({});

export class InterestTable {
  readonly gatewayId: string;
  readonly epoch: string;
  readonly maxHops: number;
  readonly #maxFilters: number;
  readonly #interestRouting: boolean;
  #version = 0;
  #local = new Map<string, LocalEntry>();
  #localSignature = '';
  readonly #peers = new Map<string, PeerState>();
  readonly #brokers = new Map<string, BrokerRoutes>();

  constructor(options: InterestTableOptions) {
    this.gatewayId = assertGatewayId(options.gatewayId);
    this.epoch = options.epoch ?? randomUUID();
    this.maxHops = options.maxHops ?? DEFAULT_MAX_HOPS;
    this.#maxFilters = options.maxAnnouncedFilters ?? MAX_ANNOUNCED_FILTERS;
    this.#interestRouting = options.interestRouting ?? true;
    if (!Number.isSafeInteger(this.maxHops) || this.maxHops < 1) {
      const message = `must be a positive integer, got ${this.maxHops}`;
      throw new ConfigError(`invalid maxHops: ${message}`, [{ path: 'maxHops', message }]);
    }
  }

  /** The peers whose announcements are in the table. */
  get peers(): string[] {
    return [...this.#peers.keys()];
  }

  /** Whether an announcement from `peer` is in the table (what it wants is known). */
  hasHeardFrom(peer: string): boolean {
    return this.#peers.has(peer);
  }

  /** Whether `key` (`namespace/name`) is one of this gateway's federated Brokers. */
  isFederated(key: string): boolean {
    return this.#local.has(key);
  }

  /**
   * Replaces this gateway's own interest: every federated Broker with the filters of its local
   * Triggers. Only Brokers listed here are forwarded for, announced, or accepted from peers.
   * Returns true when the announcement changes (send `buildAnnouncement` to every peer).
   *
   * @throws ConfigError when a filter does not compile (the path names broker and filter).
   */
  setLocalInterest(brokers: readonly LocalBrokerInterest[]): boolean {
    const issues: ConfigIssue[] = [];
    const local = new Map<string, LocalEntry>();
    brokers.forEach((broker, b) => {
      const unique = new Map<string, TriggerFilterSpec>();
      let acceptsAll = false;
      broker.filters.forEach((spec, f) => {
        try {
          const filter = compileFilter(spec, `brokers[${b}].filters[${f}]`);
          if (filter instanceof TriggerFilter && filter.root === NO_FILTER) acceptsAll = true;
          unique.set(JSON.stringify(filter.spec), filter.spec);
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          issues.push(...err.issues);
        }
      });
      // An over-approximation is always safe: the remote Triggers filter again.
      if (unique.size > this.#maxFilters) acceptsAll = true;
      const filters = acceptsAll ? [] : [...unique.values()];
      local.set(brokerKey(broker.namespace, broker.name), { acceptsAll, filters });
    });
    if (issues.length > 0) {
      throw new ConfigError(
        `invalid federated interest: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
        issues,
      );
    }
    const signature = JSON.stringify([...local].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    this.#local = local;
    const changed = signature !== this.#localSignature;
    this.#localSignature = signature;
    return changed;
  }

  /**
   * Takes in an announcement received from `fromPeer` (the identity its credentials proved; when
   * given, the announcement must be in that name). An announcement older than the last one
   * applied from that peer (same epoch, lower or equal version) is ignored.
   *
   * @throws InvalidAnnouncementError when it is malformed, its filters do not compile, or it is
   *   in another gateway's name.
   */
  applyAnnouncement(input: unknown, fromPeer?: string): ApplyResult {
    const ann = parseAnnouncement(input, this.maxHops);
    if (fromPeer !== undefined && ann.gatewayId !== fromPeer) {
      const message = `announcement from peer ${fromPeer} is in the name of ${ann.gatewayId}`;
      throw new InvalidAnnouncementError(message, [{ path: 'gatewayId', message }]);
    }
    if (ann.gatewayId === this.gatewayId) {
      const message = `announcement in this gateway's own name (${this.gatewayId})`;
      throw new InvalidAnnouncementError(message, [{ path: 'gatewayId', message }]);
    }
    const peer = ann.gatewayId;
    const previous = this.#peers.get(peer);
    if (previous !== undefined && previous.epoch === ann.epoch && ann.version <= previous.version) {
      return { applied: false, changed: false, refusedPaths: 0 };
    }
    let refusedPaths = 0;
    const routes: Route[] = [];
    for (const broker of ann.brokers) {
      const key = brokerKey(broker.namespace, broker.name);
      for (const g of broker.gateways) {
        if (g.path.includes(this.gatewayId)) {
          refusedPaths++;
          continue;
        }
        const acceptsAll = g.acceptsAll === true;
        routes.push({
          peer,
          gateway: g.path[g.path.length - 1] as string,
          path: g.path,
          acceptsAll,
          filters: g.filters,
          compiled: acceptsAll ? [MATCH_ALL] : g.compiled,
          broker: key,
        });
      }
    }
    const signature = JSON.stringify(routes.map(routeSignature));
    this.#removeRoutes(peer);
    this.#peers.set(peer, { epoch: ann.epoch, version: ann.version, routes, signature });
    for (const route of routes) this.#addRoute(route);
    return { applied: true, changed: signature !== previous?.signature, refusedPaths };
  }

  /**
   * Forgets everything learned from a peer, when it is removed from the configuration (not when
   * it is merely unreachable: its interest must stay, so that events wait for it). Returns true
   * when something was forgotten: announce again to the other peers.
   */
  removePeer(peer: string): boolean {
    if (!this.#peers.has(peer)) return false;
    this.#removeRoutes(peer);
    this.#peers.delete(peer);
    return true;
  }

  /**
   * What this gateway announces to `forPeer`: for each federated Broker, its own filters and the
   * best path to every other interested gateway it knows, except gateways reached through
   * `forPeer` (split horizon) and paths longer than `maxHops`. Each call gets a new version.
   */
  buildAnnouncement(forPeer: string): InterestAnnouncement {
    const brokers: BrokerInterest[] = [];
    for (const [key, local] of this.#local) {
      const gateways: GatewayInterest[] = [];
      if (local.acceptsAll || local.filters.length > 0) {
        gateways.push({
          path: [this.gatewayId],
          ...(local.acceptsAll && { acceptsAll: true }),
          filters: local.filters,
        });
      }
      for (const [gateway, routes] of this.#brokers.get(key)?.byGateway ?? []) {
        if (gateway === forPeer || gateway === this.gatewayId) continue;
        const best = bestRoute(routes, EMPTY);
        if (best === undefined || best.path.includes(forPeer) || best.path.length + 1 > this.maxHops)
          continue;
        gateways.push({
          path: [this.gatewayId, ...best.path],
          ...(best.acceptsAll && { acceptsAll: true }),
          filters: [...best.filters],
        });
      }
      if (gateways.length === 0) continue;
      const slash = key.indexOf('/');
      brokers.push({ namespace: key.slice(0, slash), name: key.slice(slash + 1), gateways });
    }
    return {
      protocol: ANNOUNCEMENT_PROTOCOL,
      gatewayId: this.gatewayId,
      epoch: this.epoch,
      version: ++this.#version,
      brokers,
    };
  }

  /**
   * Where an event of Broker `key` goes from here. An event without `meshgatetargets` was
   * published at this gateway: it goes to every remote gateway whose filters match it. An event
   * with targets came from a peer: it goes on towards those targets only (this gateway's own
   * Triggers get it from the Broker either way).
   */
  plan(key: string, event: MeshEvent): ForwardPlan {
    const peers = new Map<string, string[]>();
    const looped = new Set<string>();
    const unroutable: string[] = [];
    if (!this.#local.has(key)) return { peers, looped: [], unroutable };
    const routes = this.#brokers.get(key);

    const onRoute = new Set(visited(event));
    onRoute.add(this.gatewayId);
    const linksLeft = this.maxHops - hopCount(event);
    const targets = routeTargets(event);
    const wanted =
      targets ??
      (this.#interestRouting
        ? [...new Set(routes?.index.match(event).map((r) => r.gateway))]
        : [...(routes?.byGateway.keys() ?? [])]);

    for (const gateway of wanted) {
      const candidates = routes?.byGateway.get(gateway) ?? [];
      if (onRoute.has(gateway)) {
        // It has the event already: the interest is there, the route refuses it.
        if (gateway !== this.gatewayId) for (const r of candidates) looped.add(r.peer);
        continue;
      }
      const best = bestRoute(candidates, onRoute, linksLeft);
      if (best === undefined) {
        unroutable.push(gateway);
        for (const r of candidates) looped.add(r.peer);
        continue;
      }
      for (const r of candidates) if (r !== best && !isUsable(r, onRoute, linksLeft)) looped.add(r.peer);
      const list = peers.get(best.peer);
      if (list === undefined) peers.set(best.peer, [gateway]);
      else list.push(gateway);
    }
    for (const peer of peers.keys()) looped.delete(peer);
    return { peers, looped: [...looped], unroutable };
  }

  /** The peers an event of Broker `key` is forwarded to from here (see `plan`). */
  peersInterestedIn(key: string, event: MeshEvent): string[] {
    return [...this.plan(key, event).peers.keys()];
  }

  /** Every route learned for Broker `key` (for the admin API and for tests). */
  routesFor(key: string): InterestRoute[] {
    const out: InterestRoute[] = [];
    for (const routes of this.#brokers.get(key)?.byGateway.values() ?? []) {
      for (const { peer, gateway, path, acceptsAll, filters } of routes) {
        out.push({ peer, gateway, path, acceptsAll, filters });
      }
    }
    return out;
  }

  #addRoute(route: Route): void {
    const key = route.broker;
    let broker = this.#brokers.get(key);
    if (broker === undefined) {
      broker = { index: new TriggerIndex<Route>(), byGateway: new Map() };
      this.#brokers.set(key, broker);
    }
    route.compiled.forEach((filter, i) => {
      broker.index.add(indexId(route, i), filter, route);
    });
    const list = broker.byGateway.get(route.gateway);
    if (list === undefined) broker.byGateway.set(route.gateway, [route]);
    else list.push(route);
  }

  #removeRoutes(peer: string): void {
    for (const route of this.#peers.get(peer)?.routes ?? []) {
      const key = route.broker;
      const broker = this.#brokers.get(key);
      if (broker === undefined) continue;
      for (let i = 0; i < route.compiled.length; i++) broker.index.remove(indexId(route, i));
      const list = broker.byGateway.get(route.gateway) ?? [];
      const at = list.indexOf(route);
      if (at >= 0) list.splice(at, 1);
      if (list.length === 0) broker.byGateway.delete(route.gateway);
      if (broker.byGateway.size === 0) this.#brokers.delete(key);
    }
  }
}

const EMPTY: ReadonlySet<string> = new Set();

function indexId(route: Route, i: number): string {
  return `${route.peer}\u0000${route.gateway}\u0000${i}`;
}

function isUsable(route: Route, onRoute: ReadonlySet<string>, linksLeft: number): boolean {
  return route.path.length <= linksLeft && !route.path.some((g) => onRoute.has(g));
}

/** Fewest links first, then the lexicographically smallest path: the same choice on every gateway. */
function bestRoute(
  routes: readonly Route[],
  onRoute: ReadonlySet<string>,
  linksLeft = Number.POSITIVE_INFINITY,
): Route | undefined {
  let best: Route | undefined;
  for (const r of routes) {
    if (!isUsable(r, onRoute, linksLeft)) continue;
    if (best === undefined || comparePaths(r.path, best.path) < 0) best = r;
  }
  return best;
}

function comparePaths(a: readonly string[], b: readonly string[]): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function routeSignature(route: Route): unknown {
  return [route.broker, route.path, route.acceptsAll, route.filters];
}
