// Crash: a KafkaSource process SIGKILLed mid-stream and restarted loses nothing (at-least-once).
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../../../test/support/connector-conformance.js';
import { services, uniqueName } from '../../../test/support/services.js';
import { createTopic, deleteTopics, produceRaw } from './helpers.js';

const fixture = fileURLToPath(new URL('./fixtures/crash-source.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const children = new Set<ChildProcess>();
const topics: string[] = [];
let server: Server | undefined;

function startSource(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--conditions=meshgate-source', '--import', 'tsx', fixture], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`source process did not start: ${stderr}`)), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('started')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => reject(new Error(`source process exited (${code}): ${stderr}`)));
  });
}

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  server?.close();
  await deleteTopics(topics);
});

describe('KafkaSource crash (real processes)', () => {
  it('every record arrives at least once across a SIGKILL and a restart', { timeout: 90_000 }, async () => {
    const total = 2000;
    const topic = await createTopic('crash', 2);
    topics.push(topic);
    await produceRaw(
      topic,
      Array.from({ length: total }, (_, i) => ({
        value: `payload-${i}`,
        headers: { ce_specversion: '1.0', ce_id: `e${i}`, ce_source: '/crash', ce_type: 'crash.test' },
        partition: i % 2,
      })),
    );

    const counts = new Map<string, number>();
    let received = 0;
    server = createServer((req, res) => {
      const id = String(req.headers['ce-id']);
      req.resume();
      req.on('end', () => {
        received += 1;
        counts.set(id, (counts.get(id) ?? 0) + 1);
        // A little latency, so that the kill lands mid-stream with deliveries in flight.
        setTimeout(() => {
          res.writeHead(202).end();
        }, 2);
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const env = {
      KAFKA_BROKERS: services.kafkaBrokers().join(','),
      TOPIC: topic,
      GROUP: uniqueName('crash-group'),
      SINK_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    };

    const first = await startSource(env);
    await waitUntil('a third of the records at the sink', () => received >= total / 3, 60_000);
    first.kill('SIGKILL');
    const receivedAtKill = received;
    await new Promise((resolve) => first.once('exit', resolve));

    const second = await startSource(env);
    await waitUntil(`all ${total} distinct records`, () => counts.size === total, 60_000);
    second.kill('SIGTERM');

    const duplicates = received - counts.size;
    console.info(
      `crash test: ${total} records, ${receivedAtKill} delivered before SIGKILL, ${received} deliveries in all, ` +
        `${duplicates} duplicates (${((100 * duplicates) / total).toFixed(1)}%)`,
    );
    for (let i = 0; i < total; i++) expect(counts.get(`e${i}`) ?? 0).toBeGreaterThanOrEqual(1);
    expect(receivedAtKill).toBeLessThan(total);
  });
});
