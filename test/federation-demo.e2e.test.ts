/**
 * `npm start` (scripts/demo.ts) as a user runs it, minus the build: the services, the display
 * sink and both gateways as processes, an order published to Kafka at east printed by the west
 * sink; and the fallback without Kafka, interactive input, and a clean Ctrl-C.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './support/processes.js';

const started = new Set<ChildProcess>();
afterAll(() => {
  for (const c of started) if (c.exitCode === null) c.kill('SIGKILL');
});

interface Demo {
  child: ChildProcess;
  output: () => string;
  waitFor: (pattern: RegExp, timeoutMs: number) => Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

function runDemo(flags: string[]): Demo {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'scripts/demo.ts', '--source', '--isolated', ...flags],
    {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    },
  );
  started.add(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    waitFor: async (pattern, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = out.match(pattern);
        if (m) return m;
        if (child.exitCode !== null)
          throw new Error(`demo exited (${child.exitCode}) before ${pattern}:\n${out}`);
        if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return false;
  } catch {
    return true;
  }
}

describe('npm start (scripts/demo.ts)', () => {
  it('--once: an order published to Kafka at east is printed by the west display sink', async () => {
    const demo = runDemo(['--once']);
    const code = await demo.exited;
    const out = demo.output();
    expect(code, out).toBe(0);
    const id = out.match(/Publishing order (order-[0-9a-f]+) to Kafka topic/)?.[1];
    expect(id, out).toBeDefined();
    // The sink printed it, with the route it took.
    expect(out).toContain(`[west display]   id: ${id}`);
    expect(out).toMatch(/\[west display\] {3}meshgateroute: east/);
    expect(out).toContain(`✓ order ${id} went Kafka → KafkaSource → east's Broker`);
  }, 120_000);

  it('without Kafka: memory channel and HTTP ingress, input lines become orders, Ctrl-C stops everything', async () => {
    const demo = runDemo(['--no-kafka']);
    await demo.waitFor(/Try next/, 90_000);
    const out = demo.output();
    expect(out).toContain('Kafka is not available here');
    expect(out).toMatch(/to east's HTTP ingress/);
    const east = out.match(/gateway-east +(http:\/\/127\.0\.0\.1:\d+)/)?.[1] as string;
    const west = out.match(/gateway-west +(http:\/\/127\.0\.0\.1:\d+)/)?.[1] as string;

    // A typed line is published as order.created and reaches the sink; "-..." (page.viewed) does not cross.
    demo.child.stdin?.write('- never mind\n');
    demo.child.stdin?.write('two more please\n');
    await demo.waitFor(/"note": "two more please"/, 30_000);
    const peers = (await (await fetch(`${east}/api/v1/peers`)).json()) as {
      items: { id: string; counters: { forwarded: number; filteredOut: number } }[];
    };
    const link = peers.items.find((p) => p.id === 'west')?.counters;
    expect(link?.forwarded).toBe(2);
    expect(link?.filteredOut).toBe(1);
    expect(demo.output()).not.toContain('"note": "never mind"');

    demo.child.kill('SIGINT');
    expect(await demo.exited).toBe(0);
    expect(await refused(`${east}/healthz`)).toBe(true);
    expect(await refused(`${west}/healthz`)).toBe(true);
  }, 120_000);
});
