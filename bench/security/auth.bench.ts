/**
 * Ingress throughput with JWT verification on (keys from a file, verified tokens cached) against
 * the same gateway with auth off; also JWT verification on every request (cache off), to show
 * what the cache saves. Target: auth on >= 90% of auth off.
 *
 *   npx tsx bench/security/auth.bench.ts [--quick]
 *
 * Auth off and JWT on run `meshgate start` from source (startMeshgateProcess) with the same
 * Broker, the second with a Gateway `spec.security` block (JWT keys from a file, a policy);
 * the uncached variant runs auth-gateway.ts (the cache switch is not a config field). Rounds are
 * interleaved (off, jwt, jwt-nocache, off, ...) and the median of each is reported. Keep it short:
 * the machine is shared.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

if (!process.execArgv.some((a) => a.includes('meshgate-source'))) {
  const r = spawnSync(
    process.execPath,
    ['--conditions=meshgate-source', ...process.execArgv, ...process.argv.slice(1)],
    { stdio: 'inherit' },
  );
  process.exit(r.status ?? 1);
}

const { exportJWK, generateKeyPair, SignJWT } = await import('jose');
const { closedLoop, eventHeaders, repoRoot, startMeshgateProcess, table } = await import(
  '../support/bench-kit.js'
);

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 2 : 7;
const DURATION_MS = quick ? 1000 : 1500;
const CONCURRENCY = 32;

const { publicKey, privateKey } = await generateKeyPair('ES256');
const keysFile = join(tmpdir(), `meshgate-bench-jwks-${process.pid}.json`);
writeFileSync(
  keysFile,
  JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'b1', alg: 'ES256' }] }),
);
const token = await new SignJWT({ sub: 'system:serviceaccount:bench:sender' })
  .setProtectedHeader({ alg: 'ES256', kid: 'b1' })
  .setIssuer('https://issuer.bench')
  .setAudience('eventing.knative.dev/broker/bench/default')
  .setIssuedAt()
  .setExpirationTime('1h')
  .sign(privateKey);

const BROKER =
  'apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata:\n  name: default\n  namespace: bench\n';
const SECURED = `apiVersion: meshgate.io/v1alpha1
kind: Gateway
metadata:
  name: bench
spec:
  http: {host: 127.0.0.1}
  security:
    auth:
      jwt:
        issuer: https://issuer.bench
        keysFile: ${keysFile}
    policies:
      - name: bench
        from: [{sub: "system:serviceaccount:bench:*"}]
---
${BROKER}`;

async function startGateway(auth: string): Promise<{ url: string; child: ChildProcess }> {
  if (auth !== 'jwt-nocache') {
    const file = join(tmpdir(), `meshgate-bench-auth-${auth}-${process.pid}.yaml`);
    writeFileSync(file, auth === 'off' ? BROKER : SECURED);
    const g = await startMeshgateProcess(file);
    return { url: `${g.url}/bench/default`, child: g.child };
  }
  const child = spawn(
    process.execPath,
    ['--conditions=meshgate-source', '--import', 'tsx', 'bench/security/auth-gateway.ts'],
    {
      cwd: repoRoot,
      env: { ...process.env, AUTH: auth, KEYS_FILE: keysFile },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const port = await new Promise<string>((resolve, reject) => {
    lines.on('line', (l) => {
      const m = /listening (\d+)/.exec(l);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`auth-gateway exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}/bench/default`, child };
}

// `off+token` sends the same requests as the JWT runs (Authorization header included) to the
// auth-off gateway, which ignores it: the difference to `jwt` is verification alone, not the
// bytes of the header (client and gateway share the machine's cores).
const modes = ['off', 'off+token', 'jwt', 'jwt-nocache'] as const;
const gateways = new Map<string, { url: string; child: ChildProcess }>();
for (const m of modes)
  gateways.set(
    m,
    m === 'off+token' ? (gateways.get('off') as { url: string; child: ChildProcess }) : await startGateway(m),
  );
// Auth really is on: without the token, the JWT gateways answer 401.
for (const m of modes) {
  const res = await fetch((gateways.get(m) as { url: string }).url, {
    method: 'POST',
    headers: eventHeaders(),
    body: '{}',
  });
  await res.body?.cancel();
  if ((res.status === 401) !== m.startsWith('jwt')) throw new Error(`${m}: ${res.status} without a token`);
}
const rates = new Map<string, number[]>(modes.map((m) => [m, []]));
const headers = (auth: string) => () => {
  const h = eventHeaders();
  if (auth !== 'off') h.authorization = `Bearer ${token}`;
  return h;
};
try {
  // Warm-up: JIT, keep-alive pools, the JWKS and the token cache.
  for (const m of modes)
    await closedLoop((gateways.get(m) as { url: string }).url, CONCURRENCY, 1000, headers(m));
  for (let round = 0; round < ROUNDS; round++) {
    for (const m of modes) {
      const r = await closedLoop(
        (gateways.get(m) as { url: string }).url,
        CONCURRENCY,
        DURATION_MS,
        headers(m),
      );
      if (r.refused > 0) throw new Error(`${m}: ${r.refused} requests refused`);
      rates.get(m)?.push(r.rate);
    }
  }
} finally {
  for (const g of new Set(gateways.values())) g.child.kill('SIGKILL');
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;
// The machine is shared: compare each round with the auth-off round next to it, then take the
// median of those ratios (less sensitive to a neighbour's load than a ratio of medians).
const pairedRatio = (m: string, base: string) => {
  const baseRounds = rates.get(base) ?? [];
  return median((rates.get(m) ?? []).map((r, i) => r / (baseRounds[i] as number)));
};
const names: Record<(typeof modes)[number], string> = {
  off: 'auth off',
  'off+token': 'auth off, same requests with the token header',
  jwt: 'JWT, verified tokens cached',
  'jwt-nocache': 'JWT, verified every request',
};
console.log(
  table(
    ['ingress', 'events/s (median)', 'vs auth off', 'vs auth off with the same requests'],
    modes.map((m) => [
      names[m],
      Math.round(median(rates.get(m) ?? [])),
      `${(pairedRatio(m, 'off') * 100).toFixed(1)}%`,
      `${(pairedRatio(m, 'off+token') * 100).toFixed(1)}%`,
    ]),
  ),
);
console.log('(ratios: median over rounds of each round against the auth-off round next to it)');
for (const m of modes)
  console.log(`${m} rounds: ${(rates.get(m) ?? []).map((r) => Math.round(r)).join(' ')}`);
console.log(`(${ROUNDS} interleaved rounds of ${DURATION_MS} ms, ${CONCURRENCY} in flight, ES256)`);
