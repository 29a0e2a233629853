/**
 * Ingress security over real HTTP: static tokens and JWTs (keys generated here, JWKS served by an
 * in-test server), policies allowing and denying, size and rate limits with their documented
 * status codes, slow clients cut off, and secrets absent from logs and admin output.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { ConfigError, type Logger, parseConfigText, SecretValue } from '@meshgate/core';
import { createConnectorRuntime, Gateway, modelFromConfig } from '@meshgate/gateway';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  egressOptions,
  exposureWarning,
  limitSlowClients,
  SecurityGuard,
  securityOptions,
} from '../packages/gateway/src/security/index.js';
import { brokerYaml } from './support/gateway.js';

const TOKEN_VALUE = 'tok-Zq8v1-secret-value';
const ISSUER = 'https://issuer.test';
const AUDIENCE_PREFIX = 'meshgate.test';

/** A logger keeping every line, so the test can grep them. */
function recordingLogger(lines: string[]): Logger {
  const log =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push(`${level} ${msg ?? ''} ${JSON.stringify(obj)}`);
    };
  const logger: Logger = {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: () => logger,
  };
  return logger;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

const yaml = `${brokerYaml()}---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: open
  namespace: test
`;

let jwks: Server;
type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let signingKey: SigningKey;
let forgedKey: SigningKey;
const logs: string[] = [];
let gateway: Gateway;
let url: string;
const issued: string[] = [];

async function jwt(
  claims: JWTPayload & { iss?: string; aud?: string },
  key = signingKey,
  expires: string | number = '5m',
) {
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuedAt()
    .setIssuer(claims.iss ?? ISSUER)
    .setAudience(claims.aud ?? `${AUDIENCE_PREFIX}/broker/test/default`)
    .setExpirationTime(expires)
    .sign(key);
  issued.push(token);
  return token;
}

async function post(
  path: string,
  headers: Record<string, string> = {},
  body = '{"a":1}',
  type = 'com.example.order',
) {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: {
      'ce-specversion': '1.0',
      'ce-id': crypto.randomUUID(),
      'ce-source': '/test',
      'ce-type': type,
      'content-type': 'application/json',
      ...headers,
    },
    body,
  });
  const text = await res.text();
  const answer = text ? (JSON.parse(text) as { code: string; message: string }) : null;
  return { status: res.status, headers: res.headers, body: answer };
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  signingKey = pair.privateKey;
  forgedKey = (await generateKeyPair('ES256')).privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  jwks = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  const jwksUrl = `${await listen(jwks)}/keys`;
  const logger = recordingLogger(logs);
  const guard = new SecurityGuard({
    logger,
    tokens: [{ name: 'ci-pipeline', value: new SecretValue({ kind: 'env', name: 'CI_TOKEN' }, TOKEN_VALUE) }],
    jwt: { issuer: ISSUER, audience: AUDIENCE_PREFIX, jwksUrl },
    policies: [
      {
        name: 'shop-writers',
        to: [{ kind: 'broker', namespace: 'test', name: 'default' }],
        from: [{ token: 'ci-pipeline' }, { sub: 'system:serviceaccount:shop:*' }],
      },
      {
        name: 'partner-events-only',
        to: [{ kind: 'broker', namespace: 'test', name: 'default' }],
        from: [{ sub: 'partner' }],
        filters: [{ prefix: { type: 'com.partner.' } }],
      },
    ],
    limits: { maxHeaderBytes: 4096, maxBatchSize: 2, maxAttributes: 12, maxAttributeBytes: 200 },
  });
  gateway = new Gateway({ logger, guard });
  await gateway.listen('127.0.0.1', 0);
  await gateway.apply(modelFromConfig(parseConfigText(yaml, 'security.yaml'), { selfUrl: gateway.url }));
  url = gateway.url;
});

afterAll(async () => {
  await gateway.stop();
  await new Promise<void>((r) => jwks.close(() => r()));
});

describe('authentication', () => {
  it('answers 401 with WWW-Authenticate: Bearer without credentials', async () => {
    const r = await post('/test/default');
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(r.body?.code).toBe('UNAUTHENTICATED');
  });

  it('lets a static token in, and refuses an unknown one or a malformed header', async () => {
    expect((await post('/test/default', bearer(TOKEN_VALUE))).status).toBe(202);
    expect((await post('/test/default', bearer(`${TOKEN_VALUE}x`))).status).toBe(401);
    expect((await post('/test/default', { authorization: `Basic ${TOKEN_VALUE}` })).status).toBe(401);
  });

  it('lets a valid JWT in (audience <prefix>/broker/<ns>/<name>, subject wildcard)', async () => {
    const token = await jwt({ sub: 'system:serviceaccount:shop:orders' });
    expect((await post('/test/default', bearer(token))).status).toBe(202);
    // Cached: the same token again.
    expect((await post('/test/default', bearer(token))).status).toBe(202);
  });

  it('refuses expired, wrong-audience, wrong-issuer and forged JWTs with the same 401', async () => {
    const sub = 'system:serviceaccount:shop:orders';
    const bad = [
      await jwt(
        { sub, exp: Math.floor(Date.now() / 1000) - 3600 },
        signingKey,
        Math.floor(Date.now() / 1000) - 3600,
      ),
      await jwt({ sub, aud: `${AUDIENCE_PREFIX}/broker/test/other` }),
      await jwt({ sub, iss: 'https://evil.test' }),
      await jwt({ sub }, forgedKey),
    ];
    const answers = await Promise.all(bad.map((t) => post('/test/default', bearer(t))));
    for (const a of answers) {
      expect(a.status).toBe(401);
      expect(a.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
    // The body never says why.
    expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
  });
});

describe('policies', () => {
  it('answers 403 to a valid sender no policy lets in', async () => {
    const r = await post('/test/default', bearer(await jwt({ sub: 'system:serviceaccount:billing:x' })));
    expect(r.status).toBe(403);
    expect(r.body?.code).toBe('FORBIDDEN');
  });

  it('applies policy filters to every event', async () => {
    const token = await jwt({ sub: 'partner' });
    expect((await post('/test/default', bearer(token), '{}', 'com.partner.created')).status).toBe(202);
    expect((await post('/test/default', bearer(token), '{}', 'com.internal.secret')).status).toBe(403);
    const batch = JSON.stringify([
      { specversion: '1.0', id: '1', source: '/p', type: 'com.partner.a' },
      { specversion: '1.0', id: '2', source: '/p', type: 'com.internal.b' },
    ]);
    const r = await fetch(`${url}/test/default`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents-batch+json', ...bearer(token) },
      body: batch,
    });
    expect(r.status).toBe(403);
  });

  it('leaves an Addressable no policy applies to open (default allow-all)', async () => {
    expect((await post('/test/open')).status).toBe(202);
  });
});

describe('limits', () => {
  it('answers 431, 413 and 400 as documented', async () => {
    expect((await post('/test/open', { 'x-padding': 'p'.repeat(5000) })).status).toBe(431);
    const batch = (n: number) =>
      JSON.stringify(
        Array.from({ length: n }, (_, i) => ({ specversion: '1.0', id: `${i}`, source: '/b', type: 't' })),
      );
    const sendBatch = (n: number) =>
      fetch(`${url}/test/open`, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents-batch+json' },
        body: batch(n),
      });
    expect((await sendBatch(2)).status).toBe(202);
    const over = await sendBatch(3);
    expect(over.status).toBe(413);
    expect(((await over.json()) as { code: string }).code).toBe('BATCH_TOO_LARGE');
    const many: Record<string, string> = {};
    for (let i = 0; i < 12; i++) many[`ce-ext${i}`] = 'v';
    const tooMany = await post('/test/open', many);
    expect([tooMany.status, tooMany.body?.code]).toEqual([400, 'TOO_MANY_ATTRIBUTES']);
    const big = await post('/test/open', { 'ce-big': 'x'.repeat(201) });
    expect([big.status, big.body?.code]).toEqual([400, 'ATTRIBUTE_TOO_LARGE']);
  });

  it('answers 429 with Retry-After over a per-sender rate, per Addressable too', async () => {
    const guard = new SecurityGuard({ rateLimits: { perSender: { perSecond: 0.5, burst: 2 } } });
    const gw = new Gateway({ logger: recordingLogger([]), guard });
    await gw.listen('127.0.0.1', 0);
    try {
      await gw.apply(modelFromConfig(parseConfigText(yaml, 'rate.yaml'), { selfUrl: gw.url }));
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 3; i++) {
        const r = await fetch(`${gw.url}/test/open`, {
          method: 'POST',
          headers: { 'ce-specversion': '1.0', 'ce-id': `${i}`, 'ce-source': '/r', 'ce-type': 't' },
          body: '',
        });
        statuses.push(r.status);
        retryAfter = r.headers.get('retry-after');
        await r.body?.cancel();
      }
      expect(statuses).toEqual([202, 202, 429]);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    } finally {
      await gw.stop();
    }
    const perBroker = new SecurityGuard({ rateLimits: { perAddressable: { perSecond: 1, burst: 1 } } });
    const fake = { headers: {}, rawHeaders: [], socket: { remoteAddress: '10.0.0.1' } } as never;
    expect(await perBroker.admit(fake, { kind: 'broker', key: 'a/b' })).toBeUndefined();
    expect((await perBroker.admit(fake, { kind: 'broker', key: 'a/b' }))?.status).toBe(429);
    expect(await perBroker.admit(fake, { kind: 'broker', key: 'a/c' })).toBeUndefined();
  });
});

describe('slow clients', () => {
  it('cuts off a client dripping its headers, and one dripping its body', async () => {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(202).end());
    });
    limitSlowClients(server, { headersTimeoutMs: 300, requestTimeoutMs: 600 });
    const base = new URL(await listen(server));
    const drip = (first: string, next: string) =>
      new Promise<number>((resolve) => {
        const started = Date.now();
        const socket = connect(Number(base.port), '127.0.0.1', () => socket.write(first));
        const timer = setInterval(() => socket.writable && socket.write(next), 100);
        // Never cut off: stop after 5 s and report it as such.
        const giveUp = setTimeout(() => socket.destroy(), 5000);
        socket.on('data', () => {});
        socket.on('error', () => {});
        socket.on('close', () => {
          clearInterval(timer);
          clearTimeout(giveUp);
          resolve(Date.now() - started);
        });
      });
    try {
      expect(await drip('POST /test/default HTTP/1.1\r\nhost: x\r\n', 'x')).toBeLessThan(4000);
      expect(
        await drip('POST /test/default HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n', 'a'),
      ).toBeLessThan(4000);
      // A quick client on a kept-alive connection is not cut off between requests.
      const a = await fetch(`${base.origin}/x`, { method: 'POST', body: 'a' });
      const b = await fetch(`${base.origin}/x`, { method: 'POST', body: 'b' });
      expect([a.status, b.status]).toEqual([202, 202]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('secrets and warnings', () => {
  it('keeps token values and JWTs out of logs and admin output', async () => {
    // Logs at debug level include every refusal above.
    expect(logs.some((l) => l.includes('ingress refused'))).toBe(true);
    const admin = await Promise.all(
      ['/api/v1/brokers', '/api/v1/triggers', '/metrics'].map(async (p) =>
        (await fetch(`${url}${p}`)).text(),
      ),
    );
    const everything = [...logs, ...admin].join('\n');
    expect(everything).not.toContain(TOKEN_VALUE);
    for (const token of issued) expect(everything).not.toContain(token);
    expect(issued.length).toBeGreaterThan(4);
  });

  it('warns about a gateway open beyond loopback, not about a guarded or private one', () => {
    expect(exposureWarning('0.0.0.0', undefined)).toMatch(/beyond loopback/);
    expect(exposureWarning('0.0.0.0', new SecurityGuard())).toMatch(/beyond loopback/);
    expect(exposureWarning('127.0.0.1', undefined)).toBeUndefined();
    expect(exposureWarning('::1', undefined)).toBeUndefined();
    expect(exposureWarning('0.0.0.0', new SecurityGuard({ defaultMode: 'authenticated' }))).toBeUndefined();
  });
});

describe('configuration (Gateway spec.security)', () => {
  const gatewayDoc = (security: string) =>
    `apiVersion: meshgate.io/v1alpha1\nkind: Gateway\nmetadata:\n  name: g\nspec:\n  security:\n${security
      .trim()
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n')}\n---\n${yaml}`;

  it('loads the hardened example of docs/security.md into a guard and egress options', () => {
    const doc = readFileSync(new URL('../docs/security.md', import.meta.url), 'utf8');
    const example = /## A hardened configuration[\s\S]*?```yaml\n([\s\S]*?)```/.exec(doc)?.[1] as string;
    const config = parseConfigText(example, 'hardened.yaml', {
      env: { MESHGATE_ADMIN_TOKEN: 'a' },
      readSecretFile: () => 'ci-secret',
    });
    const guard = new SecurityGuard(securityOptions(config.gateway.security));
    expect(guard.open).toBe(false);
    expect(guard.describe()).toMatchObject({ tokens: 1, jwt: true, defaultMode: 'deny-all' });
    expect(egressOptions(config.gateway.security)).toEqual({
      denyCidrs: ['127.0.0.0/8', '::1/128'],
      allowCidrs: ['10.0.0.0/8'],
      allowRedirects: false,
    });
  });

  it('guards a gateway from YAML: token from the environment, policy by name', async () => {
    const config = parseConfigText(
      gatewayDoc(`
auth:
  tokens:
    - name: team-a
      value: {valueFrom: {env: TEAM_A_TOKEN}}
policies:
  - name: a-to-default
    to: [{kind: Broker, namespace: test, name: default}]
    from: [{token: team-*}]`),
      'guarded.yaml',
      { env: { TEAM_A_TOKEN: 'ta-secret' } },
    );
    const gw = new Gateway({
      logger: recordingLogger([]),
      guard: new SecurityGuard(securityOptions(config.gateway.security)),
    });
    await gw.listen('127.0.0.1', 0);
    try {
      await gw.apply(modelFromConfig(config, { selfUrl: gw.url }));
      const send = (auth?: string) =>
        fetch(`${gw.url}/test/default`, {
          method: 'POST',
          headers: {
            'ce-specversion': '1.0',
            'ce-id': '1',
            'ce-source': '/c',
            'ce-type': 't',
            ...(auth && { authorization: auth }),
          },
          body: '',
        }).then((r) => r.status);
      expect([await send(), await send('Bearer ta-secret'), await send('Bearer nope')]).toEqual([
        401, 202, 401,
      ]);
    } finally {
      await gw.stop();
    }
  });

  it('guards the Kyma legacy ingress and Bridge HTTP sources like Brokers; a policy may name a Bridge', async () => {
    const config = parseConfigText(
      `apiVersion: meshgate.io/v1alpha1
kind: Gateway
metadata: {name: g}
spec:
  kyma: {broker: default, namespace: test}
  security:
    auth:
      tokens:
        - {name: hook, value: {valueFrom: {env: HOOK_TOKEN}}}
        - {name: other, value: {valueFrom: {env: OTHER_TOKEN}}}
    policies:
      - {name: hook-to-bridge, to: [{kind: Bridge, namespace: test, name: in}], from: [{token: hook}]}
      - {name: all-to-default, to: [{kind: Broker, namespace: test, name: default}], from: [{token: '*'}]}
---
apiVersion: meshgate.io/v1alpha1
kind: Bridge
metadata: {name: in, namespace: test}
spec:
  source: {http: {}}
  sink: {ref: {apiVersion: eventing.knative.dev/v1, kind: Broker, name: default}}
---
${yaml}`,
      'guarded.yaml',
      { env: { HOOK_TOKEN: 'hook-secret', OTHER_TOKEN: 'other-secret' } },
    );
    const gw = new Gateway({
      logger: recordingLogger([]),
      guard: new SecurityGuard(securityOptions(config.gateway.security)),
      connectors: createConnectorRuntime(),
    });
    await gw.listen('127.0.0.1', 0);
    try {
      await gw.apply(modelFromConfig(config, { selfUrl: gw.url }), config);
      const kyma = (auth?: string) =>
        fetch(`${gw.url}/commerce/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(auth && { authorization: auth }) },
          body: JSON.stringify({
            'event-type': 'order.created',
            'event-type-version': 'v1',
            'event-time': '2026-01-02T03:04:05Z',
            data: {},
          }),
        }).then((r) => r.status);
      const bridge = (auth?: string) =>
        fetch(`${gw.url}/bridges/test/in`, {
          method: 'POST',
          headers: {
            'ce-specversion': '1.0',
            'ce-id': crypto.randomUUID(),
            'ce-source': '/c',
            'ce-type': 't',
            ...(auth && { authorization: auth }),
          },
          body: '',
        }).then((r) => r.status);
      // Kyma goes through the guard: no policy names it, so it stays open (default allow-all),
      // but a bad token is refused as anywhere.
      expect([await kyma(), await kyma('Bearer nope'), await kyma('Bearer other-secret')]).toEqual([
        200, 401, 200,
      ]);
      // The Bridge: only the sender its policy names.
      expect([
        await bridge(),
        await bridge('Bearer other-secret'),
        await bridge('Bearer hook-secret'),
      ]).toEqual([401, 403, 202]);
    } finally {
      await gw.stop();
    }
  });

  it('refuses bad CIDRs, two JWT key sources and unknown fields with ConfigErrors naming the field', () => {
    const refused = (security: string) => {
      try {
        parseConfigText(gatewayDoc(security), 'bad.yaml');
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).issues.map((i) => i.path).join(' ');
      }
      throw new Error('loaded');
    };
    expect(refused('egress: {denyCidrs: [10.0.0.0/33]}')).toContain('spec.security.egress.denyCidrs[0]');
    expect(refused('auth: {jwt: {issuer: i, jwksUrl: "https://x/", keysFile: /k}}')).toContain('auth.jwt');
    expect(refused('limits: {maxBodySize: 1}')).toContain('limits');
    expect(refused('defaultMode: open')).toContain('defaultMode');
  });
});
