/**
 * JWT bearer tokens verified with jose: signature (keys from a JWKS URL, cached and refreshed by
 * jose, or from a JWKS file), issuer, audience, expiry and not-before. The audience for an
 * Addressable follows Knative's form `<prefix>/<kind>/<namespace>/<name>`, e.g.
 * `eventing.knative.dev/broker/shop/default`. Verified tokens are cached until they expire (at
 * most a minute, bounded in size), so a sender reusing its token costs one verification.
 *
 * @see https://knative.dev/docs/eventing/features/sender-identity/
 * @see https://www.rfc-editor.org/rfc/rfc7519#section-4.1
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '@meshgate/core';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';

export interface JwtOptions {
  /** The `iss` every token must carry. */
  issuer: string;
  /** Audience prefix: a token for Broker shop/default must have `aud` `<prefix>/broker/shop/default`. Default `eventing.knative.dev`. */
  audience?: string;
  /** Where the issuer publishes its keys (fetched on first use, cached, refetched on an unknown `kid`). */
  jwksUrl?: string;
  /** A JWKS JSON file (`{"keys": [...]}`) instead of a URL. */
  keysFile?: string;
  /** A JWKS given directly (tests, embedding). */
  keys?: JSONWebKeySet;
  /** Accepted algorithms. Default: the asymmetric ones jose supports (no `none`, no HMAC). */
  algorithms?: string[];
  /** Allowed clock skew for exp/nbf. Default 30 s. */
  clockToleranceSeconds?: number;
  /** How long a JWKS fetched from `jwksUrl` is used before it is refetched. Default 10 min. */
  jwksCacheSeconds?: number;
  /** Remember verified tokens until they expire (at most a minute). Default true. */
  cacheVerified?: boolean;
}

export const DEFAULT_AUDIENCE_PREFIX = 'eventing.knative.dev';
const DEFAULT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];
const VERIFIED_CACHE_LIMIT = 10_000;
const VERIFIED_CACHE_MS = 60_000;

/** Who a verified token speaks for. */
export interface JwtIdentity {
  subject: string;
}

/** A token that does not verify; `reason` is for debug logs only, never for the client. */
export class JwtRejected extends Error {}

/** The issuer's keys could not be fetched (down, timeout, not a JWKS): nobody's fault but theirs. */
export class JwksUnavailable extends Error {}

/** jose codes that mean the JWKS endpoint failed, not the token. */
const JWKS_FAILURES = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC']);

export class JwtVerifier {
  private readonly keys: JWTVerifyGetKey;
  private readonly prefix: string;
  private readonly audiences = new Map<string, string>();
  private readonly verified = new Map<string, { subject: string; audience: string; until: number }>();

  constructor(private readonly options: JwtOptions) {
    this.prefix = (options.audience ?? DEFAULT_AUDIENCE_PREFIX).replace(/\/+$/, '');
    const sources = [options.jwksUrl, options.keysFile, options.keys].filter((s) => s !== undefined);
    if (sources.length !== 1)
      throw new ConfigError('auth.jwt needs exactly one of jwksUrl or keysFile', [
        { path: 'auth.jwt', message: 'set exactly one of jwksUrl, keysFile' },
      ]);
    if (options.jwksUrl !== undefined) {
      let url: URL;
      try {
        url = new URL(options.jwksUrl);
      } catch {
        throw new ConfigError(`auth.jwt.jwksUrl '${options.jwksUrl}' is not a URL`, [
          { path: 'auth.jwt.jwksUrl', message: 'not a URL' },
        ]);
      }
      this.keys = createRemoteJWKSet(url, {
        cacheMaxAge: (options.jwksCacheSeconds ?? 600) * 1000,
        cooldownDuration: 30_000,
        timeoutDuration: 5000,
      });
    } else {
      const jwks = options.keys ?? readJwksFile(options.keysFile as string);
      this.keys = createLocalJWKSet(jwks);
    }
  }

  /** The audience a token for this Addressable must carry. */
  audienceFor(kind: string, key: string): string {
    const id = `${kind}/${key}`;
    let audience = this.audiences.get(id);
    if (audience === undefined) {
      audience = `${this.prefix}/${id}`;
      if (this.audiences.size >= VERIFIED_CACHE_LIMIT) this.audiences.clear();
      this.audiences.set(id, audience);
    }
    return audience;
  }

  /** The subject of a token verified earlier for `audience` and not yet expired (no crypto). */
  cached(token: string, audience: string): JwtIdentity | undefined {
    const hit = this.verified.get(token);
    if (hit === undefined || hit.audience !== audience) return undefined;
    if (hit.until > Date.now()) return { subject: hit.subject };
    this.verified.delete(token);
    return undefined;
  }

  /** Verifies `token` for `audience`; throws {@link JwtRejected} when it does not verify. */
  async verify(token: string, audience: string): Promise<JwtIdentity> {
    const known = this.cached(token, audience);
    if (known !== undefined) return known;
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        issuer: this.options.issuer,
        audience,
        algorithms: this.options.algorithms ?? DEFAULT_ALGORITHMS,
        clockTolerance: this.options.clockToleranceSeconds ?? 30,
        requiredClaims: ['exp'],
      });
      const subject = typeof payload.sub === 'string' ? payload.sub : '';
      if (this.options.cacheVerified === false) return { subject };
      const until = Math.min((payload.exp as number) * 1000, Date.now() + VERIFIED_CACHE_MS);
      if (this.verified.size >= VERIFIED_CACHE_LIMIT) this.verified.clear();
      this.verified.set(token, { subject, audience, until });
      return { subject };
    } catch (err) {
      const e = err as { code?: string; message?: string };
      // A fetch failure has no jose code (TypeError: fetch failed).
      if (this.options.jwksUrl !== undefined && (e.code === undefined || JWKS_FAILURES.has(e.code)))
        throw new JwksUnavailable(`JWKS ${this.options.jwksUrl}: ${e.message ?? e.code}`, { cause: err });
      throw new JwtRejected(e.code ?? e.message ?? 'invalid token', { cause: err });
    }
  }
}

function readJwksFile(path: string): JSONWebKeySet {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`auth.jwt.keysFile: cannot read a JWKS from ${path} (${(err as Error).message})`, [
      { path: 'auth.jwt.keysFile', message: 'not a readable JWKS JSON file' },
    ]);
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys))
    throw new ConfigError(`auth.jwt.keysFile: ${path} is not a JWKS ({"keys": [...]})`, [
      { path: 'auth.jwt.keysFile', message: 'no "keys" array' },
    ]);
  return parsed as JSONWebKeySet;
}
