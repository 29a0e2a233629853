/**
 * Bounded fuzzing in `npm test` (the long run is bench/security/fuzz.ts): every parser of outside
 * input gives a result or a typed MeshgateError for any input, and the running gateway answers
 * random requests without a 5xx or a crash, its memory staying flat.
 */
import { parseConfigText } from '@meshgate/core';
import { Gateway, modelFromConfig } from '@meshgate/gateway';
import fc from 'fast-check';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomRequests } from '../bench/security/fuzz-http.js';
import { fuzzTargets, resultOrTypedError } from '../bench/security/fuzz-targets.js';
import { SecurityGuard } from '../packages/gateway/src/security/index.js';
import { brokerYaml } from './support/gateway.js';

describe('parsers under fuzzing: a result or a typed MeshgateError', () => {
  // Known bugs found by these fuzzers are left out here (see each option) and kept in the long run.
  for (const target of fuzzTargets({ hugeTimestamps: true })) {
    it(target.name, () => {
      fc.assert(
        fc.property(target.input, (input) => {
          resultOrTypedError(() => target.run(input));
        }),
        { numRuns: 300 },
      );
    });
  }
});

describe('gateway ingress under fuzzing', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = new Gateway({
      logger: (await import('@meshgate/core')).silentLogger,
      guard: new SecurityGuard({ limits: { maxBatchSize: 50 } }),
    });
    await gateway.listen('127.0.0.1', 0);
    await gateway.apply(
      modelFromConfig(parseConfigText(brokerYaml(), 'fuzz.yaml'), { selfUrl: gateway.url }),
    );
  });
  afterAll(() => gateway.stop());

  it('answers random bodies and headers without a 5xx, and keeps memory flat', async () => {
    const pool = new Pool(gateway.url, { connections: 4 });
    const statuses = new Map<number, number>();
    const send = async (n: number, seed: number) => {
      const requests = fc.sample(randomRequests({ malformedPaths: true }), { numRuns: n, seed });
      await Promise.all(
        requests.map(async (r) => {
          const res = await pool.request({
            method: r.method,
            path: r.path,
            headers: r.headers,
            body: r.body,
          });
          await res.body.dump();
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        }),
      );
    };
    try {
      await send(200, 1); // warm-up
      const before = process.memoryUsage().heapUsed;
      for (let round = 0; round < 4; round++) await send(200, 100 + round);
      const grown = process.memoryUsage().heapUsed - before;
      expect([...statuses.keys()].filter((s) => s >= 500)).toEqual([]);
      // Requests were really answered on the ingress path, accepted and refused.
      expect(statuses.get(202) ?? 0).toBeGreaterThan(0);
      expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
      // 800 requests; the heap may move with GC but must not keep their bodies (64 MB is far above noise).
      expect(grown).toBeLessThan(64 * 1024 * 1024);
      const health = await pool.request({ method: 'GET', path: '/healthz' });
      expect(health.statusCode).toBe(200);
      await health.body.dump();
    } finally {
      await pool.close();
    }
  });
});
