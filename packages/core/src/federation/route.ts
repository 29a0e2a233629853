/**
 * Loop prevention that travels with the event, whatever carries it between gateways: the
 * gateways an event has crossed are CloudEvents extension attributes, so they survive every
 * binding (HTTP headers, Kafka headers, AMQP headers, Pub/Sub attributes) unchanged.
 *
 * - `meshgateroute`: the ids of the gateways that forwarded the event, in order, comma-separated.
 * - `meshgatehops`: how many gateway-to-gateway links it has crossed (an Integer attribute).
 * - `meshgatetargets`: the interested gateways this copy is responsible for reaching (see
 *   `InterestTable.plan`); absent on an event that has not left its origin gateway.
 *
 * Extension names are lower-case letters and digits only, as CloudEvents requires.
 *
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md#extension-context-attributes
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md#attribute-naming-convention
 */
import { ConfigError } from '../errors.js';
import { attributeString, type MeshEvent, withAttributes } from '../event/mesh-event.js';

export const ROUTE_ATTRIBUTE = 'meshgateroute';
export const HOPS_ATTRIBUTE = 'meshgatehops';
export const TARGETS_ATTRIBUTE = 'meshgatetargets';
/** Links an event may cross before every gateway refuses to forward it further. */
export const DEFAULT_MAX_HOPS = 8;

/**
 * A gateway id: lower-case letters, digits, `.` and `-`, 1 to 63 characters, starting and
 * ending with a letter or digit (a DNS label with dots). No comma, so a route splits cleanly.
 */
const GATEWAY_ID = /^[a-z0-9](?:[a-z0-9.-]{0,61}[a-z0-9])?$/;

export function isGatewayId(value: unknown): value is string {
  return typeof value === 'string' && GATEWAY_ID.test(value);
}

/** Returns `id` when it is a valid gateway id; throws a ConfigError naming `path` otherwise. */
export function assertGatewayId(id: unknown, path = 'gatewayId'): string {
  if (isGatewayId(id)) return id;
  const message = `must be a gateway id (lower-case letters, digits, '.' and '-', 1-63 characters), got ${JSON.stringify(id)}`;
  throw new ConfigError(`invalid ${path}: ${message}`, [{ path, message }]);
}

/** The gateways the event has been forwarded by, in order (tokens that are not gateway ids are ignored). */
export function visited(event: MeshEvent): string[] {
  return splitIds(attributeString(event, ROUTE_ATTRIBUTE));
}

/**
 * Links crossed so far. Never less than the route's length, so that a peer that drops or
 * resets `meshgatehops` cannot make an event live longer.
 */
export function hopCount(event: MeshEvent): number {
  const raw = event.attributes[HOPS_ATTRIBUTE];
  const parsed = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : Number.NaN;
  const hops = Number.isSafeInteger(parsed) && parsed >= 0 ? parsed : 0;
  return Math.max(hops, visited(event).length);
}

/**
 * A copy of the event about to leave `gatewayId` for a peer: the gateway appended to the route
 * and the hop count increased by one. Call it on the copy that is sent, after `canForward`.
 */
export function recordHop(event: MeshEvent, gatewayId: string): MeshEvent {
  assertGatewayId(gatewayId);
  const route = visited(event);
  route.push(gatewayId);
  return withAttributes(event, { [ROUTE_ATTRIBUTE]: route.join(','), [HOPS_ATTRIBUTE]: hopCount(event) + 1 });
}

/**
 * Whether the event may cross one more link, to `toPeerId`: never to a gateway already on its
 * route (that is where loops come from, whatever the peer graph), and never beyond `maxHops`
 * links in total (a bound for anything the route cannot see, e.g. an event that leaves the
 * federation through a sink and comes back in through a source).
 */
export function canForward(event: MeshEvent, toPeerId: string, maxHops = DEFAULT_MAX_HOPS): boolean {
  if (hopCount(event) >= maxHops) return false;
  return !visited(event).includes(toPeerId);
}

/** The gateways this copy must reach; undefined on an event that has not crossed a link yet. */
export function routeTargets(event: MeshEvent): string[] | undefined {
  const raw = attributeString(event, TARGETS_ATTRIBUTE);
  return raw === undefined ? undefined : splitIds(raw);
}

/** A copy of the event with `meshgatetargets` set to `targets`. */
export function withTargets(event: MeshEvent, targets: readonly string[]): MeshEvent {
  return withAttributes(event, { [TARGETS_ATTRIBUTE]: targets.join(',') });
}

/** A copy without `meshgatetargets`: for an event published at this gateway other than by a peer. */
export function withoutTargets(event: MeshEvent): MeshEvent {
  if (event.attributes[TARGETS_ATTRIBUTE] === undefined) return event;
  return withAttributes(event, { [TARGETS_ATTRIBUTE]: undefined });
}

/** A copy without any federation attribute (for a sink that wants the event as it was published). */
export function withoutFederationAttributes(event: MeshEvent): MeshEvent {
  if (
    event.attributes[ROUTE_ATTRIBUTE] === undefined &&
    event.attributes[HOPS_ATTRIBUTE] === undefined &&
    event.attributes[TARGETS_ATTRIBUTE] === undefined
  ) {
    return event;
  }
  return withAttributes(event, {
    [ROUTE_ATTRIBUTE]: undefined,
    [HOPS_ATTRIBUTE]: undefined,
    [TARGETS_ATTRIBUTE]: undefined,
  });
}

function splitIds(raw: string | undefined): string[] {
  if (raw === undefined || raw === '') return [];
  return raw.split(',').filter(isGatewayId);
}
