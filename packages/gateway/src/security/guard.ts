/**
 * The gateway's {@link IngressGuard}: header size, authentication (static bearer tokens, JWTs),
 * authorization (EventPolicy-like policies, then the default mode), rate limits per sender and
 * per Addressable, and once decoded, event limits and policy filters.
 *
 * Answers: 401 with `WWW-Authenticate: Bearer` without valid credentials, 403 when no policy
 * lets the sender in, 429 with `Retry-After` over a rate, 431/413/400 over a size limit. Bodies
 * say which, never why in detail (an expired token and a forged one get the same 401). Logs name
 * tokens and subjects, never token values.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
import type { IncomingMessage } from 'node:http';
import { type Logger, type MeshEvent, silentLogger } from '@meshgate/core';
import type { IngressGuard, IngressRefusal } from '../http/addressables.js';
import { JwksUnavailable, type JwtOptions, JwtRejected, JwtVerifier } from './jwt.js';
import { checkEventLimits, checkHeaderSize, DEFAULT_LIMITS, type IngressLimits } from './limits.js';
import { type CompiledPolicy, compilePolicies, type PolicySpec, type Principal } from './policy.js';
import { RateLimiter, type RateSpec } from './rate-limit.js';
import { type StaticToken, StaticTokens } from './tokens.js';

/**
 * What happens to an Addressable no policy applies to (Knative's default authorization mode):
 * `allow-all` (default, as Knative), `authenticated` (any valid credential), `deny-all`.
 */
export type DefaultMode = 'allow-all' | 'authenticated' | 'deny-all';

export interface SecurityOptions {
  tokens?: readonly StaticToken[];
  jwt?: JwtOptions;
  policies?: readonly PolicySpec[];
  defaultMode?: DefaultMode;
  limits?: Partial<IngressLimits>;
  rateLimits?: { perAddressable?: RateSpec; perSender?: RateSpec };
  logger?: Logger;
}

type Target = Parameters<IngressGuard['admit']>[1];

const UNAUTHENTICATED: IngressRefusal = {
  status: 401,
  code: 'UNAUTHENTICATED',
  message: 'valid credentials are required (Authorization: Bearer <token>)',
  headers: { 'www-authenticate': 'Bearer realm="meshgate"' },
};
const INVALID_TOKEN: IngressRefusal = {
  ...UNAUTHENTICATED,
  headers: { 'www-authenticate': 'Bearer realm="meshgate", error="invalid_token"' },
};
const FORBIDDEN: IngressRefusal = {
  status: 403,
  code: 'FORBIDDEN',
  message: 'the sender is not allowed to send to this address',
};
const AUTH_UNAVAILABLE: IngressRefusal = {
  status: 503,
  code: 'AUTH_UNAVAILABLE',
  message: 'credentials cannot be checked right now; retry later',
  headers: { 'retry-after': '5' },
};
/** At most one warning per this many ms while the issuer's keys cannot be fetched. */
const JWKS_WARN_EVERY_MS = 10_000;
const EVENT_FORBIDDEN: IngressRefusal = {
  status: 403,
  code: 'FORBIDDEN',
  message: 'an event is not allowed by the policies for this sender',
};

export class SecurityGuard implements IngressGuard {
  private tokens: StaticTokens | undefined;
  private jwt: JwtVerifier | undefined;
  private policies: CompiledPolicy[] = [];
  private defaultMode: DefaultMode = 'allow-all';
  limits: IngressLimits = DEFAULT_LIMITS;
  private perAddressable: RateLimiter | undefined;
  private perSender: RateLimiter | undefined;
  private logger: Logger = silentLogger;
  /** Filters a request's events must pass, set by `admit` for `checkEvents`. */
  private readonly pending = new WeakMap<IncomingMessage, CompiledPolicy[]>();
  private lastJwksWarning = 0;

  /** @throws ConfigError when a setting is invalid (duplicate token, bad filter, no JWT keys). */
  constructor(options: SecurityOptions = {}) {
    this.configure(options);
  }

  /**
   * Replaces every setting at once (a configuration reload); rate-limit buckets start afresh.
   * @throws ConfigError when a setting is invalid; the running settings then stay.
   */
  configure(options: SecurityOptions): void {
    const tokens = options.tokens && options.tokens.length > 0 ? new StaticTokens(options.tokens) : undefined;
    const jwt = options.jwt ? new JwtVerifier(options.jwt) : undefined;
    const policies = compilePolicies(options.policies ?? []);
    this.tokens = tokens;
    this.jwt = jwt;
    this.policies = policies;
    this.defaultMode = options.defaultMode ?? 'allow-all';
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.perAddressable = options.rateLimits?.perAddressable
      ? new RateLimiter(options.rateLimits.perAddressable)
      : undefined;
    this.perSender = options.rateLimits?.perSender
      ? new RateLimiter(options.rateLimits.perSender)
      : undefined;
    if (options.logger) this.logger = options.logger;
  }

  /** True when anyone may send anywhere without credentials (no policy, default allow-all). */
  get open(): boolean {
    return this.policies.length === 0 && this.defaultMode === 'allow-all';
  }

  /** What is configured, for logs and the admin API: names and counts, never values. */
  describe(): Record<string, unknown> {
    return {
      tokens: this.tokens?.size ?? 0,
      jwt: this.jwt !== undefined,
      policies: this.policies.map((p) => p.name),
      defaultMode: this.defaultMode,
      limits: this.limits,
      rateLimits: {
        perAddressable: this.perAddressable !== undefined,
        perSender: this.perSender !== undefined,
      },
    };
  }

  admit(
    req: IncomingMessage,
    target: Target,
  ): Promise<IngressRefusal | undefined> | IngressRefusal | undefined {
    const tooBig = checkHeaderSize(req.rawHeaders, this.limits);
    if (tooBig) return tooBig;
    // Synchronous unless a JWT needs verifying (not seen before): the hot path allocates no promise.
    const auth = this.authenticate(req, target);
    return auth instanceof Promise
      ? auth.then((a) => this.afterAuth(req, target, a))
      : this.afterAuth(req, target, auth);
  }

  private afterAuth(
    req: IncomingMessage,
    target: Target,
    auth: Principal | undefined | 'invalid' | 'unavailable',
  ): IngressRefusal | undefined {
    if (auth === 'unavailable') return AUTH_UNAVAILABLE;
    if (auth === 'invalid') return this.refused(target, undefined, 'invalid credentials', INVALID_TOKEN);
    return this.authorize(req, target, auth) ?? this.rateLimit(req, target, auth);
  }

  checkEvents(
    req: IncomingMessage,
    target: Target,
    events: readonly MeshEvent[],
  ): IngressRefusal | undefined {
    const over = checkEventLimits(events, this.limits);
    if (over) return over;
    const policies = this.pending.get(req);
    if (policies === undefined) return undefined;
    this.pending.delete(req);
    for (const event of events) {
      if (!policies.some((p) => p.filter?.matches(event) ?? true))
        return this.refused(target, undefined, 'event outside policy filters', EVENT_FORBIDDEN);
    }
    return undefined;
  }

  /** The sender, undefined when anonymous, 'invalid' when credentials were given and are wrong. */
  private authenticate(
    req: IncomingMessage,
    target: Target,
  ): Principal | undefined | 'invalid' | Promise<Principal | 'invalid' | 'unavailable'> {
    if (this.tokens === undefined && this.jwt === undefined) return undefined;
    const header = req.headers.authorization;
    if (header === undefined) return undefined;
    const token = bearerToken(header);
    if (token === undefined) return 'invalid';
    const name = this.tokens?.identify(token);
    if (name !== undefined) return { kind: 'token', name };
    const jwt = this.jwt;
    if (jwt === undefined || !looksLikeJwt(token)) return 'invalid';
    const audience = jwt.audienceFor(target.kind, target.key);
    const known = jwt.cached(token, audience);
    if (known !== undefined) return { kind: 'jwt', name: known.subject };
    return jwt.verify(token, audience).then(
      (id): Principal => ({ kind: 'jwt', name: id.subject }),
      (err: unknown) => {
        if (err instanceof JwksUnavailable) {
          const now = Date.now();
          if (now - this.lastJwksWarning >= JWKS_WARN_EVERY_MS) {
            this.lastJwksWarning = now;
            this.logger.warn({ reason: err.message }, 'cannot fetch the JWT issuer keys; answering 503');
          }
          return 'unavailable' as const;
        }
        if (!(err instanceof JwtRejected)) throw err;
        this.logger.debug({ target: target.key, reason: err.message }, 'JWT refused');
        return 'invalid' as const;
      },
    );
  }

  private authorize(
    req: IncomingMessage,
    target: Target,
    principal: Principal | undefined,
  ): IngressRefusal | undefined {
    // One pass over the policies: does any apply here, and which of those admit the sender.
    let applies = false;
    let admitting: CompiledPolicy[] | undefined;
    let unfiltered = false;
    for (const p of this.policies) {
      if (!p.appliesTo(target.kind, target.key)) continue;
      applies = true;
      if (principal === undefined || !p.admits(principal)) continue;
      if (p.filter === undefined) {
        unfiltered = true;
        break;
      }
      admitting ??= [];
      admitting.push(p);
    }
    if (!applies) {
      switch (this.defaultMode) {
        case 'allow-all':
          return undefined;
        case 'authenticated':
          return principal ? undefined : this.refused(target, principal, 'no credentials', UNAUTHENTICATED);
        case 'deny-all':
          return this.refused(target, principal, 'default mode deny-all', FORBIDDEN);
      }
    }
    if (principal === undefined) return this.refused(target, principal, 'no credentials', UNAUTHENTICATED);
    // One admitting policy without filters lets every event through.
    if (unfiltered) return undefined;
    if (admitting === undefined)
      return this.refused(target, principal, 'no policy admits the sender', FORBIDDEN);
    this.pending.set(req, admitting);
    return undefined;
  }

  private rateLimit(
    req: IncomingMessage,
    target: Target,
    principal: Principal | undefined,
  ): IngressRefusal | undefined {
    if (this.perSender === undefined && this.perAddressable === undefined) return undefined;
    const sender = principal
      ? `${principal.kind}:${principal.name}`
      : `ip:${req.socket.remoteAddress ?? '?'}`;
    const wait =
      this.perSender?.take(sender) || 0 || (this.perAddressable?.take(`${target.kind}:${target.key}`) ?? 0);
    if (wait === 0) return undefined;
    return {
      status: 429,
      code: 'RATE_LIMITED',
      message: 'too many requests; retry later',
      headers: { 'retry-after': String(wait) },
    };
  }

  private refused(
    target: Target,
    principal: Principal | undefined,
    reason: string,
    answer: IngressRefusal,
  ): IngressRefusal {
    this.logger.debug(
      { target: target.key, sender: principal ? `${principal.kind}:${principal.name}` : 'anonymous', reason },
      'ingress refused',
    );
    return answer;
  }
}

/** RFC 6750 §2.1: `Bearer <b64token>`; undefined when the header is not that. */
function bearerToken(header: string): string | undefined {
  const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  return m?.[1];
}

/** Three base64url parts: header.payload.signature. */
function looksLikeJwt(token: string): boolean {
  const first = token.indexOf('.');
  const second = first === -1 ? -1 : token.indexOf('.', first + 1);
  return second !== -1 && token.indexOf('.', second + 1) === -1;
}
