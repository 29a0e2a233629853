/**
 * Vitest global setup: makes sure the test services run before any test, and hands their
 * endpoints to the test workers through environment variables.
 *
 * MESHGATE_SERVICES selects how:
 *   local (default)  scripts/services.sh up: real brokers on this machine, started if needed
 *   containers       testcontainers (needs a Docker engine)
 *   external         use KAFKA_BROKERS, RABBITMQ_URL, NATS_URL, PUBSUB_EMULATOR_HOST as set
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../scripts/services.sh', import.meta.url));

export default async function setup(): Promise<() => Promise<void>> {
  const mode = process.env.MESHGATE_SERVICES ?? 'local';
  // The Pub/Sub client would otherwise probe for a GCE metadata server on every start.
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  // Each vitest project runs global setup; the services need ensuring once per run.
  if (mode === 'external' || process.env.MESHGATE_SERVICES_READY) return async () => {};
  if (mode === 'containers') {
    const { startContainers } = await import('./containers.js');
    return startContainers();
  }
  if (mode !== 'local') throw new Error(`MESHGATE_SERVICES=${mode}: expected local, containers or external`);
  const out = execFileSync('bash', [script, 'up'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for (const line of out.split('\n')) {
    const m = /^export (\w+)=(.*)$/.exec(line.trim());
    if (m) process.env[m[1]!] = m[2]!;
  }
  process.env.MESHGATE_SERVICES_READY = '1';
  // Services started here outlive the run on purpose: the next run reuses them.
  return async () => {};
}
