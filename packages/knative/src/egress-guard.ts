/**
 * The egress guard (SSRF protection) for deliveries to subscribers, dead-letter sinks and sinks.
 * The check is made on the address a connection is actually opened to, inside undici's connector
 * (a `lookup` that filters what DNS answers, plus a check of IP literals), never on the URL text
 * alone: a name that resolves to a metadata address, or that changes its answer between a check
 * and the connection (DNS rebinding), is refused all the same.
 *
 * Defaults: link-local (169.254.0.0/16, fe80::/10) and known cloud metadata addresses are refused;
 * loopback and private ranges are allowed (tests, sidecars and in-cluster services use them).
 *
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Server_Side_Request_Forgery_Prevention_Cheat_Sheet.html
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { ConfigError, type ConfigIssue, MeshgateError } from '@meshgate/core';
import { buildConnector } from 'undici';

/** One CIDR rule, with the name error messages use. */
export interface EgressRule {
  cidr: string;
  name: string;
}

/** Refused unless an operator's `allowCidrs` lets them through. */
export const DEFAULT_EGRESS_DENY: readonly EgressRule[] = Object.freeze([
  { cidr: '169.254.0.0/16', name: 'link-local (cloud metadata 169.254.169.254)' },
  { cidr: 'fe80::/10', name: 'link-local IPv6' },
  { cidr: 'fd00:ec2::254/128', name: 'cloud metadata (AWS IPv6)' },
  { cidr: '100.100.100.200/32', name: 'cloud metadata (Alibaba Cloud)' },
]);

/** Resolves a host name to every address (dns.lookup with `all: true` by default). */
export type EgressResolver = (hostname: string) => Promise<readonly LookupAddress[]>;

export interface EgressOptions {
  /**
   * Addresses allowed even when a default rule refuses them. When non-empty, only these ranges
   * and loopback may be reached (allow-list mode).
   */
  allowCidrs?: readonly string[];
  /** Addresses always refused (checked first, before `allowCidrs`). */
  denyCidrs?: readonly string[];
  /** Follow 3xx redirects (each hop is checked the same way). Default false: a 3xx is an answer. */
  allowRedirects?: boolean;
  /** Off: no check at all (not recommended). Default true. */
  enabled?: boolean;
  /** Name resolution; replaceable in tests. Default node's dns.lookup. */
  resolve?: EgressResolver;
}

/** A delivery refused by the egress guard: not retriable, it names the address and the rule. */
export class EgressRefusedError extends MeshgateError {
  constructor(
    readonly host: string,
    readonly address: string,
    readonly rule: string,
  ) {
    const via = host === address ? address : `${host} (resolved to ${address})`;
    super('DELIVERY_FAILED', `egress to ${via} refused by the egress guard: ${rule}`, { retriable: false });
  }
}

interface CompiledRule {
  name: string;
  list: BlockList;
}

const LOOPBACK = compileRules(
  [
    { cidr: '127.0.0.0/8', name: 'loopback' },
    { cidr: '::1/128', name: 'loopback' },
  ],
  'loopback',
);

export class EgressGuard {
  private readonly deny: CompiledRule[];
  private readonly allow: CompiledRule[];
  private readonly defaults: CompiledRule[];
  private readonly allowList: boolean;
  readonly enabled: boolean;
  readonly allowRedirects: boolean;
  private readonly resolve: EgressResolver;

  /** @throws ConfigError when a CIDR is malformed. */
  constructor(options: EgressOptions = {}) {
    this.deny = compileRules(
      (options.denyCidrs ?? []).map((cidr) => ({ cidr, name: `denyCidrs ${cidr}` })),
      'egress.denyCidrs',
    );
    this.allow = compileRules(
      (options.allowCidrs ?? []).map((cidr) => ({ cidr, name: `allowCidrs ${cidr}` })),
      'egress.allowCidrs',
    );
    this.defaults = compileRules(DEFAULT_EGRESS_DENY, 'default');
    this.allowList = this.allow.length > 0;
    this.enabled = options.enabled ?? true;
    this.allowRedirects = options.allowRedirects ?? false;
    this.resolve = options.resolve ?? defaultResolve;
  }

  /** The rule refusing `address` (an IP literal), or undefined when it may be reached. */
  refusal(address: string): string | undefined {
    if (!this.enabled) return undefined;
    const ip = unmapIPv4(address);
    const family = isIP(ip);
    if (family === 0) return `'${address}' is not an IP address`;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    const hit = (rules: CompiledRule[]) => rules.find((r) => r.list.check(ip, type));
    const denied = hit(this.deny);
    if (denied) return denied.name;
    if (hit(this.allow)) return undefined;
    const byDefault = hit(this.defaults);
    if (byDefault) return `${byDefault.name} is refused by default`;
    if (this.allowList && !hit(LOOPBACK)) return 'not in allowCidrs';
    return undefined;
  }

  /** Throws {@link EgressRefusedError} when `address` may not be reached from `host`. */
  check(host: string, address: string): void {
    const rule = this.refusal(address);
    if (rule !== undefined) throw new EgressRefusedError(host, address, rule);
  }

  /**
   * A `lookup` for net/tls.connect: resolves, drops refused addresses, and fails with
   * {@link EgressRefusedError} when none is left. Honours `all` (Happy Eyeballs asks for it).
   */
  readonly lookup = (
    hostname: string,
    options: { all?: boolean; family?: number | string } | ((...args: unknown[]) => void),
    callback?: (...args: unknown[]) => void,
  ): void => {
    const cb = (typeof options === 'function' ? options : callback) as (...args: unknown[]) => void;
    const opts = typeof options === 'function' ? {} : options;
    this.resolve(hostname).then(
      (addresses) => {
        const wanted =
          opts.family === 4 || opts.family === 'IPv4'
            ? addresses.filter((a) => a.family === 4)
            : opts.family === 6 || opts.family === 'IPv6'
              ? addresses.filter((a) => a.family === 6)
              : addresses;
        let refused: EgressRefusedError | undefined;
        const allowed = wanted.filter((a) => {
          const rule = this.refusal(a.address);
          if (rule !== undefined) refused ??= new EgressRefusedError(hostname, a.address, rule);
          return rule === undefined;
        });
        const first = allowed[0];
        if (first === undefined) {
          const err =
            refused ?? Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' });
          cb(err);
        } else if (opts.all) cb(null, allowed);
        else cb(null, first.address, first.family);
      },
      (err: unknown) => cb(err),
    );
  };

  /**
   * An undici `connect` function: IP literals are checked here (net.connect does not call
   * `lookup` for them), names go through {@link lookup}.
   */
  connector(options: buildConnector.BuildOptions = {}): buildConnector.connector {
    const base = buildConnector({ ...options, lookup: this.lookup } as buildConnector.BuildOptions);
    return (opts, callback) => {
      const host = opts.hostname.startsWith('[') ? opts.hostname.slice(1, -1) : opts.hostname;
      if (this.enabled && isIP(host) !== 0) {
        const rule = this.refusal(host);
        if (rule !== undefined) {
          callback(new EgressRefusedError(host, host, rule), null);
          return;
        }
      }
      return base(opts, callback);
    };
  }
}

/** `::ffff:169.254.169.254` is 169.254.169.254: check it as IPv4. */
function unmapIPv4(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? (m[1] as string) : address;
}

function compileRules(rules: readonly EgressRule[], path: string): CompiledRule[] {
  const issues: ConfigIssue[] = [];
  const out: CompiledRule[] = [];
  rules.forEach((rule, i) => {
    const list = parseCidr(rule.cidr);
    if (list === undefined)
      issues.push({
        path: `${path}[${i}]`,
        message: `'${rule.cidr}' is not a CIDR (e.g. 10.0.0.0/8, fd00::/8)`,
      });
    else out.push({ name: rule.name, list });
  });
  if (issues.length > 0)
    throw new ConfigError(
      `invalid egress rule: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    );
  return out;
}

function parseCidr(cidr: string): BlockList | undefined {
  const slash = cidr.indexOf('/');
  const ip = slash === -1 ? cidr : cidr.slice(0, slash);
  const family = isIP(ip);
  if (family === 0) return undefined;
  const max = family === 4 ? 32 : 128;
  const prefix = slash === -1 ? max : Number(cidr.slice(slash + 1));
  if (
    !Number.isInteger(prefix) ||
    prefix < 0 ||
    prefix > max ||
    (slash !== -1 && !/^\d+$/.test(cidr.slice(slash + 1)))
  )
    return undefined;
  const list = new BlockList();
  list.addSubnet(ip, prefix, family === 4 ? 'ipv4' : 'ipv6');
  return list;
}

function defaultResolve(hostname: string): Promise<readonly LookupAddress[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses)));
  });
}
