/**
 * The long fuzzing run (started by fuzz.ts, which sets the source conditions): every parser target (fuzz-targets.ts, known bugs included), then the
 * running gateway's ingress over HTTP in its own process (no 5xx, no crash, memory flat).
 *
 *   npx tsx bench/security/fuzz.ts [--seconds 60]
 *
 * Prints, per target, cases run and failures found (with the first counterexample of each
 * distinct error), then the HTTP run's status counts and the gateway's RSS before and after.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Pool } from 'undici';
import { startMeshgateProcess, table } from '../support/bench-kit.js';
import { randomRequests } from './fuzz-http.js';
import { fuzzTargets, resultOrTypedError } from './fuzz-targets.js';

const secondsArg = process.argv.indexOf('--seconds');
const seconds = secondsArg === -1 ? 60 : Number(process.argv[secondsArg + 1]);
const targets = fuzzTargets({ hugeTimestamps: true });
// Half the time for the parsers, shared evenly; half for the gateway over HTTP.
const perTarget = (seconds * 500) / targets.length;

const rows: (string | number)[][] = [];
const findings: string[] = [];
let totalCases = 0;
let totalFailures = 0;
for (const target of targets) {
  const end = performance.now() + perTarget;
  let cases = 0;
  const failures = new Map<string, string>();
  while (performance.now() < end) {
    const details = fc.check(
      fc.property(target.input, (input) => {
        resultOrTypedError(() => target.run(input));
      }),
      { numRuns: 500, seed: Date.now() ^ cases, endOnFailure: true },
    );
    cases += details.numRuns;
    if (details.failed) {
      const err = details.errorInstance as Error | undefined;
      const key = `${err?.name}: ${err?.message}`.slice(0, 160);
      if (!failures.has(key)) failures.set(key, JSON.stringify(details.counterexample)?.slice(0, 300) ?? '');
    }
  }
  totalCases += cases;
  totalFailures += failures.size;
  rows.push([target.name, cases, failures.size]);
  for (const [k, v] of failures) findings.push(`${target.name}: ${k}\n    counterexample: ${v}`);
}
console.log('Parsers (any input gives a result or a typed MeshgateError):');
console.log(table(['target', 'cases', 'distinct failures'], rows));
console.log(`total: ${totalCases} cases, ${totalFailures} distinct failures`);
for (const f of findings) console.log(`  - ${f}`);

// The gateway over HTTP, in its own process.
const dir = tmpdir();
const config = join(dir, `meshgate-fuzz-${process.pid}.yaml`);
writeFileSync(
  config,
  `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: default
  namespace: test
`,
);
// A small heap cap: a gateway that kept what it was sent would run out of it and crash.
const HEAP_CAP_MIB = 128;
process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=${HEAP_CAP_MIB}`.trim();
const gateway = await startMeshgateProcess(config);
const rss = () => {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${gateway.child.pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
};
let exited = false;
gateway.child.once('exit', () => {
  exited = true;
});
const pool = new Pool(gateway.url, { connections: 8 });
const statuses = new Map<number, number>();
let requests = 0;
let transportErrors = 0;
const httpEnd = performance.now() + seconds * 500;
const arbitrary = randomRequests({ malformedPaths: true });
const fivePaths = new Set<string>();
const rssSeries: number[] = [];
const heapSeries: number[] = [];
/** The gateway's V8 heap in use, from its own Prometheus metrics. */
const heapUsed = async (): Promise<number> => {
  const res = await pool.request({ method: 'GET', path: '/metrics' });
  const m = /meshgate_process_nodejs_heap_size_used_bytes (\d+)/.exec(await res.body.text());
  return Math.round(Number(m?.[1] ?? 0) / 1024 / 1024);
};
let rssStart = 0;
let round = 0;
while (performance.now() < httpEnd && !exited) {
  const batch = fc.sample(arbitrary, { numRuns: 200, seed: round++ });
  await Promise.all(
    batch.map(async (r) => {
      try {
        const res = await pool.request({ method: r.method, path: r.path, headers: r.headers, body: r.body });
        await res.body.dump();
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode >= 500) fivePaths.add(r.path);
      } catch {
        transportErrors++;
      }
      requests++;
    }),
  );
  if (round === 5) rssStart = rss(); // after warm-up
  if (round % 25 === 0) {
    rssSeries.push(Math.round(rss()));
    heapSeries.push(await heapUsed());
  }
}
const rssEnd = exited ? Number.NaN : rss();
await pool.close();
gateway.stop();
console.log('\nGateway ingress over HTTP (random methods, paths, headers, bodies):');
console.log(
  table(
    ['status', 'count'],
    [...statuses.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => [s, n]),
  ),
);
const fiveXX = [...statuses.entries()].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
console.log(
  `requests: ${requests}, 5xx: ${fiveXX}, transport errors: ${transportErrors}, crashed: ${exited}, ` +
    `RSS after warm-up ${rssStart.toFixed(0)} MiB -> end ${rssEnd.toFixed(0)} MiB`,
);
console.log(`RSS every 5000 requests (MiB): ${rssSeries.join(' ')}`);
console.log(`V8 heap used every 5000 requests (MiB, cap ${HEAP_CAP_MIB}): ${heapSeries.join(' ')}`);
if (fivePaths.size > 0) console.log(`paths answered with a 5xx: ${[...fivePaths].join(' ')}`);
