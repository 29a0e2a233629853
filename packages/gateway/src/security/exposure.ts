/**
 * The start-time warning for a gateway anyone on the network can send to: listening beyond
 * loopback with no policy and the default `allow-all` mode.
 */
import { isIP } from 'node:net';
import type { SecurityGuard } from './guard.js';

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '[::1]';
}

/** The warning to log, or undefined when the gateway is either private or guarded. */
export function exposureWarning(host: string, guard: SecurityGuard | undefined): string | undefined {
  if (isLoopbackHost(host) || (guard !== undefined && !guard.open)) return undefined;
  return `meshgate listens on ${host} beyond loopback and anyone who can reach it may send events to every Broker and Sink: set Gateway spec.security.policies (or defaultMode) to require credentials; see docs/security.md`;
}
