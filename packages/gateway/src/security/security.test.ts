import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, makeEvent, SecretValue } from '@meshgate/core';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { egressOptions, securityOptions } from './from-config.js';
import { SecurityGuard } from './guard.js';
import { JwtRejected, JwtVerifier } from './jwt.js';
import { compilePolicies } from './policy.js';
import { RateLimiter } from './rate-limit.js';
import { StaticTokens } from './tokens.js';

function request(headers: Record<string, string> = {}, remoteAddress = '10.0.0.1'): IncomingMessage {
  const rawHeaders = Object.entries(headers).flat();
  return { headers, rawHeaders, socket: { remoteAddress } } as unknown as IncomingMessage;
}

describe('RateLimiter', () => {
  it('allows a burst, then refills at the rate, and says how long to wait', () => {
    let now = 0;
    const r = new RateLimiter({ perSecond: 2, burst: 3 }, () => now);
    expect([r.take('a'), r.take('a'), r.take('a')]).toEqual([0, 0, 0]);
    expect(r.take('a')).toBe(1);
    expect(r.take('b')).toBe(0); // keys are independent
    now += 500; // one token back
    expect(r.take('a')).toBe(0);
    expect(r.take('a')).toBeGreaterThan(0);
    const slow = new RateLimiter({ perSecond: 0.1, burst: 1 }, () => now);
    slow.take('x');
    expect(slow.take('x')).toBe(10);
  });
});

describe('policies', () => {
  const [p] = compilePolicies([
    {
      name: 'p',
      to: [{ kind: 'broker', namespace: 'shop', name: 'default' }],
      from: [{ token: 'ci' }, { sub: 'system:serviceaccount:shop:*' }],
    },
  ]);
  it('match targets by kind and key, senders exactly or by prefix', () => {
    expect(p?.appliesTo('broker', 'shop/default')).toBe(true);
    expect(p?.appliesTo('sink', 'shop/default')).toBe(false);
    expect(p?.appliesTo('broker', 'shop/other')).toBe(false);
    expect(p?.admits({ kind: 'token', name: 'ci' })).toBe(true);
    expect(p?.admits({ kind: 'token', name: 'ci2' })).toBe(false);
    expect(p?.admits({ kind: 'jwt', name: 'ci' })).toBe(false);
    expect(p?.admits({ kind: 'jwt', name: 'system:serviceaccount:shop:orders' })).toBe(true);
    expect(p?.admits({ kind: 'jwt', name: 'system:serviceaccount:shopping:x' })).toBe(false);
  });

  it('refuse an invalid filter with a ConfigError naming the policy', () => {
    expect(() => compilePolicies([{ name: 'bad', from: [], filters: [{ cesql: 'type = ' }] }])).toThrow(
      /policies\[0\]/,
    );
  });
});

describe('StaticTokens', () => {
  it('identifies a token by value and refuses duplicates and empty values', () => {
    const t = new StaticTokens([
      { name: 'a', value: 'one' },
      { name: 'b', value: new SecretValue({ kind: 'env', name: 'B' }, 'two') },
    ]);
    expect([t.identify('one'), t.identify('two'), t.identify('three')]).toEqual(['a', 'b', undefined]);
    expect(() => new StaticTokens([{ name: 'a', value: '' }])).toThrow(ConfigError);
    expect(
      () =>
        new StaticTokens([
          { name: 'a', value: 'x' },
          { name: 'a', value: 'y' },
        ]),
    ).toThrow(/used twice/);
    expect(
      () =>
        new StaticTokens([
          { name: 'a', value: 'x' },
          { name: 'b', value: 'x' },
        ]),
    ).toThrow(/same value/);
  });
});

describe('JwtVerifier', () => {
  it('reads keys from a JWKS file and checks the Knative-form audience', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const dir = mkdtempSync(join(tmpdir(), 'meshgate-jwks-'));
    const file = join(dir, 'jwks.json');
    writeFileSync(
      file,
      JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'r', alg: 'RS256' }] }),
    );
    const v = new JwtVerifier({ issuer: 'iss', keysFile: file });
    const aud = v.audienceFor('broker', 'ns/b');
    expect(aud).toBe('eventing.knative.dev/broker/ns/b');
    const sign = (claims: Record<string, unknown>, audience: string) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: 'r' })
        .setIssuer('iss')
        .setAudience(audience)
        .setExpirationTime('1m')
        .sign(privateKey);
    expect(await v.verify(await sign({ sub: 'me' }, aud), aud)).toEqual({ subject: 'me' });
    await expect(
      v.verify(await sign({ sub: 'me' }, 'eventing.knative.dev/broker/ns/c'), aud),
    ).rejects.toBeInstanceOf(JwtRejected);
    // An unsigned token (alg none) never verifies.
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ iss: 'iss', aud, sub: 'me', exp: 9e9 }),
    ).toString('base64url')}.`;
    await expect(v.verify(none, aud)).rejects.toBeInstanceOf(JwtRejected);
  });

  it('refuses settings without exactly one key source, or an unreadable file', () => {
    expect(() => new JwtVerifier({ issuer: 'i' })).toThrow(ConfigError);
    expect(() => new JwtVerifier({ issuer: 'i', keysFile: '/nonexistent/jwks.json' })).toThrow(/keysFile/);
    expect(() => new JwtVerifier({ issuer: 'i', jwksUrl: 'not a url' })).toThrow(/jwksUrl/);
  });
});

describe('SecurityGuard', () => {
  it('default modes: allow-all lets anonymous in, authenticated asks for credentials, deny-all forbids', async () => {
    const target = { kind: 'broker' as const, key: 'a/b' };
    expect(await new SecurityGuard().admit(request(), target)).toBeUndefined();
    const tokens = [{ name: 't', value: 'v' }];
    const authn = new SecurityGuard({ tokens, defaultMode: 'authenticated' });
    expect((await authn.admit(request(), target))?.status).toBe(401);
    expect(await authn.admit(request({ authorization: 'Bearer v' }), target)).toBeUndefined();
    const deny = new SecurityGuard({ tokens, defaultMode: 'deny-all' });
    expect((await deny.admit(request({ authorization: 'Bearer v' }), target))?.status).toBe(403);
  });

  it('checks policy filters on decoded events, and keeps settings when a reload is invalid', async () => {
    const guard = new SecurityGuard({
      tokens: [{ name: 't', value: 'v' }],
      policies: [{ name: 'p', from: [{ token: 't' }], filters: [{ exact: { type: 'ok' } }] }],
    });
    const req = request({ authorization: 'Bearer v' });
    const target = { kind: 'sink' as const, key: 'a/b' };
    expect(await guard.admit(req, target)).toBeUndefined();
    expect(guard.checkEvents(req, target, [makeEvent({ type: 'ok' })])).toBeUndefined();
    const req2 = request({ authorization: 'Bearer v' });
    await guard.admit(req2, target);
    expect(
      guard.checkEvents(req2, target, [makeEvent({ type: 'ok' }), makeEvent({ type: 'no' })])?.status,
    ).toBe(403);
    expect(() => guard.configure({ tokens: [{ name: 't', value: '' }] })).toThrow(ConfigError);
    expect(await guard.admit(request({ authorization: 'Bearer v' }), target)).toBeUndefined();
    expect(JSON.stringify(guard.describe())).not.toContain('"v"');
  });
});

describe('an unreachable JWKS', () => {
  it('answers 503 with Retry-After (not 401) while the issuer keys cannot be fetched', async () => {
    const broken = createServer((_req, res) => res.writeHead(500).end('down'));
    await new Promise<void>((r) => broken.listen(0, '127.0.0.1', r));
    const port = (broken.address() as AddressInfo).port;
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT({ sub: 's' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k' })
      .setIssuer('iss')
      .setAudience('eventing.knative.dev/broker/a/b')
      .setExpirationTime('1m')
      .sign(privateKey);
    const target = { kind: 'broker' as const, key: 'a/b' };
    try {
      const down = new SecurityGuard({ jwt: { issuer: 'iss', jwksUrl: `http://127.0.0.1:${port}/jwks` } });
      const answer = await down.admit(request({ authorization: `Bearer ${token}` }), target);
      expect([answer?.status, answer?.code, answer?.headers?.['retry-after']]).toEqual([
        503,
        'AUTH_UNAVAILABLE',
        '5',
      ]);
    } finally {
      await new Promise<void>((r) => broken.close(() => r()));
    }
    // Nobody listening at all.
    const gone = new SecurityGuard({ jwt: { issuer: 'iss', jwksUrl: `http://127.0.0.1:${port}/jwks` } });
    expect((await gone.admit(request({ authorization: `Bearer ${token}` }), target))?.status).toBe(503);
  });
});

describe('settings from the Gateway security block', () => {
  it('maps kinds, limits, rates and egress', () => {
    const o = securityOptions({
      defaultMode: 'authenticated',
      policies: [{ name: 'p', to: [{ kind: 'Broker', namespace: 'n', name: 'b' }], from: [{ sub: 'x*' }] }],
      limits: { maxBatchSize: 5, headersTimeoutMs: 1, rate: { perSender: { perSecond: 3 } } },
    });
    expect(o.policies?.[0]?.to).toEqual([{ kind: 'broker', namespace: 'n', name: 'b' }]);
    expect(o.limits).toEqual({ maxBatchSize: 5 });
    expect(o.rateLimits).toEqual({ perSender: { perSecond: 3 } });
    expect(egressOptions({ egress: { denyCidrs: ['10.0.0.0/8'] } })).toEqual({ denyCidrs: ['10.0.0.0/8'] });
    expect(egressOptions(undefined)).toEqual({});
  });
});
