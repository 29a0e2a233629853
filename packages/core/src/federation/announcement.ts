/**
 * What a gateway tells each peer about the events it wants, per federated Broker. It is a
 * path-vector protocol (BGP's idea, applied to interest): for each gateway whose Triggers are
 * interested, the announcement carries that gateway's filters and the path of gateways from the
 * announcer to it. A receiver therefore
 * - knows whom each filter belongs to (transitive interest along chains, and which peer is the
 *   shortest way to each interested gateway), and
 * - refuses any path that already contains itself, so interest never loops back, whatever the
 *   peer graph (split horizon for free; no count-to-infinity).
 *
 * Every announcement is the announcer's full view for that peer (not a delta): losing or
 * repeating one is harmless, and `(epoch, version)` lets the receiver ignore an older one that
 * arrives late. `epoch` changes when the announcer restarts, so its versions may start over.
 */
import { z } from 'zod';
import { type ConfigIssue, ConfigError, MeshgateError } from '../errors.js';
import { compileFilter } from '../filter/compile.js';
import type { CompiledFilter, TriggerFilterSpec } from '../filter/types.js';
import { DEFAULT_MAX_HOPS, isGatewayId } from './route.js';

/** The version of this document's shape; a receiver refuses any other. */
export const ANNOUNCEMENT_PROTOCOL = 1;
/** Filters one gateway announces for one Broker at most; beyond it, it announces `acceptsAll`. */
export const MAX_ANNOUNCED_FILTERS = 1_000;
/** Interested gateways one announcement may list per Broker: far more than a federation has. */
export const MAX_ANNOUNCED_GATEWAYS = 1_000;

export interface InterestAnnouncement {
  protocol: typeof ANNOUNCEMENT_PROTOCOL;
  /** The announcing gateway. */
  gatewayId: string;
  /** Changes whenever the announcer restarts (a random id). */
  epoch: string;
  /** Increases with every announcement the announcer makes within one epoch. */
  version: number;
  /** The federated Brokers the announcer (or some gateway beyond it) has interest in. */
  brokers: BrokerInterest[];
}

export interface BrokerInterest {
  namespace: string;
  name: string;
  /** One entry per interested gateway reachable through the announcer (the announcer included). */
  gateways: GatewayInterest[];
}

export interface GatewayInterest {
  /**
   * The gateways from the announcer to the interested one: `path[0]` is the announcer,
   * `path[path.length - 1]` the gateway whose Triggers these are. Its length is the number of
   * links an event crosses from the receiver to that gateway.
   */
  path: string[];
  /** Some Trigger there matches every event (or it has too many filters to announce): `filters` is empty. */
  acceptsAll?: boolean;
  /** The Trigger filters of that gateway on this Broker, as plain JSON (see `filterToJSON`). */
  filters: TriggerFilterSpec[];
}

/** An announcement that is malformed, or that names a filter that does not compile. */
export class InvalidAnnouncementError extends MeshgateError {
  constructor(
    message: string,
    readonly issues: readonly ConfigIssue[] = [],
  ) {
    super('EVENT_INVALID', message);
  }
}

/** An announcement's gateway entry with its filters compiled, ready for the interest table. */
export interface ParsedGatewayInterest extends GatewayInterest {
  /** One compiled filter per entry of `filters`; empty when `acceptsAll`. */
  compiled: CompiledFilter[];
}

export interface ParsedBrokerInterest extends BrokerInterest {
  gateways: ParsedGatewayInterest[];
}

export interface ParsedAnnouncement extends InterestAnnouncement {
  brokers: ParsedBrokerInterest[];
}

const gatewayId = z.string().refine(isGatewayId, 'must be a gateway id');
const schema = z.object({
  protocol: z.literal(ANNOUNCEMENT_PROTOCOL),
  gatewayId,
  epoch: z.string().min(1).max(200),
  version: z.number().int().nonnegative(),
  brokers: z
    .array(
      z.object({
        namespace: z.string().min(1).max(253),
        name: z.string().min(1).max(253),
        gateways: z
          .array(
            z.object({
              path: z.array(gatewayId).min(1),
              acceptsAll: z.boolean().optional(),
              filters: z.array(z.unknown()).max(MAX_ANNOUNCED_FILTERS),
            }),
          )
          .max(MAX_ANNOUNCED_GATEWAYS),
      }),
    )
    .max(10_000),
});

/**
 * Checks an announcement received from a peer (already JSON-parsed) and compiles its filters.
 * Paths longer than `maxHops` links are refused, as are paths that repeat a gateway or do not
 * start at the announcer.
 *
 * @throws InvalidAnnouncementError listing every problem, each with the path of the field.
 */
export function parseAnnouncement(input: unknown, maxHops = DEFAULT_MAX_HOPS): ParsedAnnouncement {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({ path: pathString(i.path), message: i.message }));
    throw invalid(issues);
  }
  const ann = result.data;
  const issues: ConfigIssue[] = [];
  const brokerKeys = new Set<string>();
  const brokers = ann.brokers.map((broker, b) => {
    const key = `${broker.namespace}/${broker.name}`;
    if (brokerKeys.has(key)) issues.push({ path: `brokers[${b}]`, message: `lists Broker ${key} again` });
    brokerKeys.add(key);
    const interested = new Set<string>();
    return {
      namespace: broker.namespace,
      name: broker.name,
      gateways: broker.gateways.map((g, i): ParsedGatewayInterest => {
        const at = `brokers[${b}].gateways[${i}]`;
        if (g.path[0] !== ann.gatewayId)
          issues.push({ path: `${at}.path[0]`, message: 'must be the announcer' });
        if (new Set(g.path).size !== g.path.length)
          issues.push({ path: `${at}.path`, message: 'repeats a gateway' });
        const gateway = g.path[g.path.length - 1] as string;
        if (interested.has(gateway)) {
          issues.push({ path: `${at}.path`, message: `lists gateway ${gateway} again` });
        }
        interested.add(gateway);
        if (g.path.length > maxHops) {
          issues.push({ path: `${at}.path`, message: `is longer than ${maxHops} hops` });
        }
        const compiled: CompiledFilter[] = [];
        const filters: TriggerFilterSpec[] = [];
        if (g.acceptsAll !== true) {
          g.filters.forEach((spec, f) => {
            try {
              const filter = compileFilter(spec as TriggerFilterSpec, `${at}.filters[${f}]`);
              compiled.push(filter);
              filters.push(filter.spec);
            } catch (err) {
              if (!(err instanceof ConfigError)) throw err;
              issues.push(...err.issues);
            }
          });
        }
        return { path: g.path, ...(g.acceptsAll === true && { acceptsAll: true }), filters, compiled };
      }),
    };
  });
  if (issues.length > 0) throw invalid(issues);
  return {
    protocol: ANNOUNCEMENT_PROTOCOL,
    gatewayId: ann.gatewayId,
    epoch: ann.epoch,
    version: ann.version,
    brokers,
  };
}

function invalid(issues: ConfigIssue[]): InvalidAnnouncementError {
  const detail = issues
    .slice(0, 10)
    .map((i) => `${i.path}: ${i.message}`)
    .join('; ');
  return new InvalidAnnouncementError(`invalid interest announcement: ${detail}`, issues);
}

function pathString(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path)
    out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  return out === '' ? '(root)' : out;
}
