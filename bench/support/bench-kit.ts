/**
 * Shared pieces of the gateway benchmarks: child processes, a closed-loop and an open-loop load
 * generator over undici, percentiles and a markdown table.
 */
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface LatencySink {
  url: string;
  report(): Promise<{ count: number; latencies: number[] }>;
  stop(): void;
}

export async function startLatencySink(): Promise<LatencySink> {
  const child = fork(fileURLToPath(new URL('./latency-sink.mjs', import.meta.url)), { stdio: 'inherit' });
  const [{ port }] = (await once(child, 'message')) as [{ port: number }];
  return {
    url: `http://127.0.0.1:${port}`,
    report: async () => {
      child.send({ cmd: 'report' });
      const [r] = (await once(child, 'message')) as [{ count: number; latencies: number[] }];
      return r;
    },
    stop: () => child.kill(),
  };
}

let built = false;

/**
 * Builds the packages once per benchmark (`npm run build`, which turbo skips when nothing
 * changed), so that `@meshgate/*` resolve to the built JavaScript users run, not the sources
 * under tsx, whose compiler would add its own memory, start-up and helpers to every figure.
 */
export function buildOnce(): void {
  if (built) return;
  execFileSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  built = true;
}

/** The node arguments that run the `meshgate` command as users run it (see `buildOnce`). */
export function meshgateCommand(): string[] {
  buildOnce();
  return [
    // MESHGATE_BENCH_PROF=<dir>: write a CPU profile of the gateway there when it stops.
    ...(process.env.MESHGATE_BENCH_PROF
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.MESHGATE_BENCH_PROF}`]
      : []),
    // MESHGATE_BENCH_NODE_ARGS="--trace-gc ...": node options for the gateway only, for experiments.
    ...(process.env.MESHGATE_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
    'packages/gateway/bin/meshgate.js',
  ];
}

/** Runs `meshgate start` (the built command) in its own process; resolves with its base URL. */
export async function startMeshgateProcess(
  configFile: string,
): Promise<{ url: string; child: ChildProcess; stop(): void }> {
  const child = spawn(
    process.execPath,
    [...meshgateCommand(), 'start', '-f', configFile, '--port', '0', '--no-watch'],
    {
      cwd: repoRoot,
      env: { ...process.env, MESHGATE_LOG_FORMAT: 'json', MESHGATE_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  // Info level logs only at start and on errors: the listening URL comes from the start line.
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const url = await new Promise<string>((resolve, reject) => {
    lines.on('line', (l) => {
      if (process.env.MESHGATE_BENCH_ECHO) console.error(`[gateway] ${l}`);
      const m = l.match(/"url":"(http:\/\/[^"]+)"/);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`meshgate exited with ${code}`)));
  });
  return { url, child, stop: () => child.kill('SIGTERM') };
}

/** A child process running a script from source; resolves once it printed `listening <port>`. */
export async function startScript(
  script: string,
  args: string[] = [],
): Promise<{ url: string; child: ChildProcess; stop(): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const port = await new Promise<string>((resolve, reject) => {
    lines.on('line', (l) => {
      const m = l.match(/listening (\d+)/);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child, stop: () => child.kill('SIGKILL') };
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (Linux). */
export async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100/s)
}

export function eventHeaders(type = 'com.example.bench'): Record<string, string> {
  return {
    'ce-specversion': '1.0',
    'ce-id': crypto.randomUUID(),
    'ce-source': '/bench',
    'ce-type': type,
    'ce-benchsent': String(performance.timeOrigin + performance.now()),
    'content-type': 'application/json',
  };
}

export const SMALL_BODY = JSON.stringify({ order: 42, items: ['a', 'b'], total: 12.5 });

/** Closed loop: `concurrency` requests always in flight for `durationMs`; returns accepted/s. */
export async function closedLoop(
  url: string,
  concurrency: number,
  durationMs: number,
  headers = () => eventHeaders(),
): Promise<{ rate: number; accepted: number; refused: number }> {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: concurrency, pipelining: 1 });
  let accepted = 0;
  let refused = 0;
  const end = performance.now() + durationMs;
  const worker = async () => {
    while (performance.now() < end) {
      const res = await pool.request({
        method: 'POST',
        path: target.pathname,
        headers: headers(),
        body: SMALL_BODY,
      });
      await res.body.dump();
      if (res.statusCode === 202) accepted++;
      else refused++;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  await pool.close();
  return { rate: accepted / seconds, accepted, refused };
}

/** Open loop: `rate` events/s for `durationMs`, spread evenly (no coordinated omission). */
export async function openLoop(
  url: string,
  rate: number,
  durationMs: number,
  headers = () => eventHeaders(),
): Promise<{ sent: number; refused: number }> {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: 64 });
  const total = Math.round((rate * durationMs) / 1000);
  const start = performance.now();
  let refused = 0;
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(
      pool
        .request({ method: 'POST', path: target.pathname, headers: headers(), body: SMALL_BODY })
        .then(async (res) => {
          await res.body.dump();
          if (res.statusCode !== 202) refused++;
        }),
    );
  }
  await Promise.all(inflight);
  await pool.close();
  return { sent: total, refused };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const fmt = (v: string | number) =>
    typeof v === 'number' ? (Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(2)) : v;
  return [
    `| ${headers.join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(fmt).join(' | ')} |`),
  ].join('\n');
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out');
}
