/**
 * Real processes for end-to-end tests: the `meshgate` CLI run from source (no build needed) and
 * the test subscriber. Every process started here is killed when the test file ends.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const cliSource = fileURLToPath(new URL('../../packages/gateway/src/main.ts', import.meta.url));
const subscriberSource = fileURLToPath(new URL('../fixtures/subscriber.ts', import.meta.url));

const running = new Set<ChildProcess>();
afterAll(() => {
  for (const p of running) p.kill('SIGKILL');
});

export interface Proc {
  child: ChildProcess;
  /** Every stdout line so far. */
  lines: string[];
  /** Everything on stderr so far. */
  stderr: () => string;
  /** Resolves with the first stdout/stderr line matching, or rejects after the timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves once `count` stdout lines match `predicate`. */
  waitForLines(predicate: (line: string) => boolean, count: number, timeoutMs?: number): Promise<string[]>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Resolves with the exit code once the process ends by itself. */
  exited(): Promise<number | null>;
}

export function startProcess(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, ['--conditions=meshgate-source', '--import', 'tsx', ...args], {
    cwd: repoRoot,
    env: { ...process.env, MESHGATE_LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines: string[] = [];
  let err = '';
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of waiters) w();
  };
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (l) => {
    lines.push(l);
    notify();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
    notify();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      notify();
      resolve(code);
    }),
  );
  const until = <T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const tick = () => {
        const v = check();
        if (v !== undefined) {
          waiters.delete(tick);
          clearTimeout(timer);
          resolve(v);
        } else if (child.exitCode !== null) {
          waiters.delete(tick);
          clearTimeout(timer);
          reject(
            new Error(`process exited (${child.exitCode}) before ${what}; stderr:\n${err.slice(-3000)}`),
          );
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(tick);
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; stderr:\n${err.slice(-3000)}\nstdout:\n${lines.slice(-20).join('\n')}`,
          ),
        );
      }, timeoutMs);
      waiters.add(tick);
      tick();
    });
  return {
    child,
    lines,
    stderr: () => err,
    waitFor: (pattern, timeoutMs = 20_000) =>
      until(
        () => {
          for (const l of [...lines, ...err.split('\n')]) {
            const m = l.match(pattern);
            if (m) return m;
          }
          return undefined;
        },
        timeoutMs,
        String(pattern),
      ),
    waitForLines: (predicate, count, timeoutMs = 20_000) =>
      until(
        () => {
          const hits = lines.filter(predicate);
          return hits.length >= count ? hits : undefined;
        },
        timeoutMs,
        `${count} matching lines`,
      ),
    exited: () => exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** `meshgate <args>` from source. */
export function startMeshgate(args: string[], env: Record<string, string> = {}): Proc {
  return startProcess([cliSource, ...args], env);
}

export interface Subscriber extends Proc {
  url: string;
  /** The requests received so far, parsed. */
  requests(): SubscriberRequest[];
}

export interface SubscriberRequest {
  at: number;
  n: number;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Starts test/fixtures/subscriber.ts with the given script flags and waits until it listens. */
export async function startSubscriber(flags: string[] = []): Promise<Subscriber> {
  const proc = startProcess([subscriberSource, ...flags]);
  const m = await proc.waitFor(/listening (\d+)/);
  return {
    ...proc,
    url: `http://127.0.0.1:${m[1]}`,
    requests: () =>
      proc.lines
        .filter((l) => l.startsWith('{'))
        .map((l) => {
          const r = JSON.parse(l) as Omit<SubscriberRequest, 'body'> & { body_base64: string };
          return { ...r, body: Buffer.from(r.body_base64, 'base64') };
        }),
  };
}
