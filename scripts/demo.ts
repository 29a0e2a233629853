/**
 * `npm start`: the compose federation (docker-compose.yml) without Docker. Brings up the test
 * services (scripts/services.sh), runs the display sink, gateway-east and gateway-west as local
 * processes with the configs of examples/federation/ (compose host names rewritten to local
 * addresses), publishes one order to Kafka at east and prints it as the west sink receives it.
 *
 *   node --import tsx scripts/demo.ts [--once] [--source] [--no-kafka] [--isolated]
 *
 *   --once       exit 0 as soon as the order reached the west sink (exit 1 after 90 s): for CI
 *   --source     run the gateways from TypeScript sources (no build needed)
 *   --no-kafka   do not use Kafka even when it can run (memory channel, HTTP ingress at east)
 *   --isolated   topic, consumer group and channel names unique to this run, any free ports (tests)
 *
 * Where a service cannot be started it degrades and says so: no Kafka (no Java) → east keeps its
 * Broker in memory and the order goes in through east's HTTP ingress; no RabbitMQ → west's Broker
 * in memory; no NATS → west's NATS Trigger is left out. Ctrl-C stops every process it started
 * (the brokers keep running: `npm run services down` stops them).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { parseAllDocuments, stringify } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = new Set(process.argv.slice(2));
const once = args.has('--once');
const fromSource = args.has('--source') || !existsSync(join(root, 'packages/gateway/dist/cli.js'));
const runId = args.has('--isolated') ? `-${randomBytes(4).toString('hex')}` : '';

const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
const bold = (text: string) => (color ? `\x1b[1m${text}\x1b[0m` : text);
const cyan = (text: string) => (color ? `\x1b[36m${text}\x1b[0m` : text);
const say = (text: string) => process.stdout.write(`${text}\n`);
const step = (text: string) => say(`\n${bold(`▸ ${text}`)}`);

// --- services ------------------------------------------------------------------------------------

interface Services {
  env: Record<string, string>;
  kafka: boolean;
  rabbitmq: boolean;
  nats: boolean;
}

/** `scripts/services.sh up <name>`: true when it runs; its export lines go into `env`. */
function serviceUp(name: string, env: Record<string, string>): boolean {
  const r = spawnSync('bash', [join(root, 'scripts/services.sh'), 'up', name], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: 300_000,
  });
  for (const m of (r.stdout ?? '').matchAll(/^export ([A-Z_]+)=(.*)$/gm))
    env[m[1] as string] = m[2] as string;
  if (r.status === 0) return true;
  const why = (r.stderr ?? '').trim().split('\n').pop() ?? `exit ${r.status}`;
  say(`  ${name}: not available (${why.replace(/^\[services\] /, '')})`);
  return false;
}

function ensureServices(): Services {
  const env: Record<string, string> = {};
  const kafka = !args.has('--no-kafka') && serviceUp('kafka', env);
  const rabbitmq = serviceUp('rabbitmq', env);
  const nats = serviceUp('nats', env);
  return { env, kafka, rabbitmq, nats };
}

// --- configuration -------------------------------------------------------------------------------

type Doc = { kind: string; metadata: { name: string }; spec?: Record<string, unknown> } & Record<
  string,
  unknown
>;

/** The example documents of one side, compose host names replaced by the local addresses. */
function loadSide(side: 'east' | 'west', hosts: Record<string, string>): Doc[] {
  const dir = join(root, 'examples/federation', side);
  const docs: Doc[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    let text = readFileSync(join(dir, file), 'utf8');
    for (const [from, to] of Object.entries(hosts)) text = text.replaceAll(from, to);
    for (const d of parseAllDocuments(text)) {
      const js = d.toJS() as Doc | null;
      if (js) docs.push(js);
    }
  }
  return docs;
}

/** A Broker without `spec.config` keeps its events in memory. */
function memoryBroker(docs: Doc[]): Doc[] {
  return docs.map((d) => {
    if (d.kind !== 'Broker' || !d.spec) return d;
    const { config: _dropped, ...spec } = d.spec;
    return { ...d, spec };
  });
}

function writeSide(dir: string, docs: Doc[]): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'gateway.yaml'), docs.map((d) => stringify(d)).join('---\n'));
  return dir;
}

// --- processes -----------------------------------------------------------------------------------

const children: ChildProcess[] = [];

interface Child {
  proc: ChildProcess;
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string>;
  onLine(listener: (line: string) => void): void;
}

/** Starts `meshgate <args>`; its output goes to `<logDir>/<name>.log` and to line listeners. */
function meshgate(name: string, cliArgs: string[], env: Record<string, string>, logDir: string): Child {
  const command = fromSource
    ? ['--conditions=meshgate-source', '--import', 'tsx', join(root, 'packages/gateway/src/main.ts')]
    : [join(root, 'packages/gateway/bin/meshgate.js')];
  const proc = spawn(process.execPath, [...command, ...cliArgs], {
    cwd: root,
    env: { ...process.env, MESHGATE_LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(proc);
  const log = createWriteStream(join(logDir, `${name}.log`));
  const listeners: ((line: string) => void)[] = [];
  const seen: string[] = [];
  for (const stream of [proc.stdout, proc.stderr])
    createInterface({ input: stream as NodeJS.ReadableStream }).on('line', (line) => {
      log.write(`${line}\n`);
      seen.push(line);
      for (const l of listeners) l(line);
    });
  return {
    proc,
    onLine: (l) => listeners.push(l),
    waitFor: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const hit = seen.find((l) => pattern.test(l));
        if (hit) return resolve(hit);
        const timer = setTimeout(
          () =>
            reject(
              new Error(`${name}: no ${pattern} within ${timeoutMs / 1000} s (log: ${logDir}/${name}.log)`),
            ),
          timeoutMs,
        );
        listeners.push((line) => {
          if (pattern.test(line)) {
            clearTimeout(timer);
            resolve(line);
          }
        });
        proc.once('exit', (code) => {
          clearTimeout(timer);
          reject(
            new Error(`${name} exited (${code}); see ${logDir}/${name}.log:\n${seen.slice(-15).join('\n')}`),
          );
        });
      }),
  };
}

/** The preferred port when it is free (the compose file's), else any free one. */
async function portNear(wanted: number): Promise<number> {
  // An isolated run (a test) leaves the well-known ports to the user's own demo.
  const preferred = runId ? 0 : wanted;
  const tryListen = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(undefined));
      server.listen(port, '127.0.0.1', () => {
        const { port: got } = server.address() as { port: number };
        server.close(() => resolve(got));
      });
    });
  return (await tryListen(preferred)) ?? (await tryListen(0)) ?? 0;
}

let stopping = false;
async function stopAll(code: number, workDir?: string): Promise<never> {
  if (!stopping) {
    stopping = true;
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    const deadline = Date.now() + 5_000;
    while (children.some((c) => c.exitCode === null && c.signalCode === null) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (workDir && code === 0) rmSync(workDir, { recursive: true, force: true });
  }
  process.exit(code);
}

// --- the walk ------------------------------------------------------------------------------------

async function main(): Promise<void> {
  say('meshgate demo: a two-gateway federation, east (Kafka) → west (RabbitMQ, NATS) → event-display sink');
  step('Services (scripts/services.sh up)');
  const services = ensureServices();
  const kafkaBrokers = services.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
  const rabbitUrl = services.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
  const natsUrl = services.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  say(
    `  Kafka: ${services.kafka ? kafkaBrokers : 'no'}   RabbitMQ: ${services.rabbitmq ? 'yes' : 'no'}   NATS: ${services.nats ? natsUrl : 'no'}`,
  );

  const [eastPort, westPort, displayPort] = [
    await portNear(8081),
    await portNear(8082),
    await portNear(8090),
  ];
  const east = `http://127.0.0.1:${eastPort}`;
  const west = `http://127.0.0.1:${westPort}`;
  const display = `http://127.0.0.1:${displayPort}`;
  const topic = `orders${runId}`;
  const hosts: Record<string, string> = {
    'http://gateway-east:8080': east,
    'http://gateway-west:8080': west,
    'http://display:8080': display,
    'nats://nats:4222': natsUrl,
    'kafka:9092': kafkaBrokers.split(',')[0] as string,
    'topics: [orders]': `topics: [${topic}]`,
    'consumerGroup: meshgate-east-orders': `consumerGroup: meshgate-east-orders${runId}`,
    'meshgate.mesh.default': `meshgate.mesh.default${runId}`,
  };

  let eastDocs = loadSide('east', hosts);
  let westDocs = loadSide('west', hosts);
  if (!services.kafka) {
    say('  ⚠ Kafka is not available here (it needs Java 17+): east keeps its Broker in memory and the order');
    say("    goes in through east's HTTP ingress instead of a KafkaSource.");
    eastDocs = memoryBroker(eastDocs).filter((d) => d.kind !== 'KafkaSource' && d.kind !== 'Connection');
  }
  if (!services.rabbitmq) {
    say('  ⚠ RabbitMQ is not available: west keeps its Broker in memory.');
    westDocs = memoryBroker(westDocs).filter(
      (d) => !(d.kind === 'Connection' && d.metadata.name === 'rabbit'),
    );
  }
  if (!services.nats) {
    say("  ⚠ NATS is not available: west's Trigger to NATS is left out.");
    westDocs = westDocs.filter(
      (d) =>
        !(
          d.kind === 'NatsSink' ||
          d.metadata.name === 'orders-to-nats' ||
          (d.kind === 'Connection' && d.metadata.name === 'nats')
        ),
    );
  }
  const work = mkdtempSync(join(tmpdir(), 'meshgate-demo-'));
  process.once('SIGINT', () => void stopAll(0, work));
  process.once('SIGTERM', () => void stopAll(0, work));
  const env = {
    MESHGATE_PEER_TOKEN: process.env.MESHGATE_PEER_TOKEN ?? randomBytes(16).toString('hex'),
    RABBITMQ_URL: rabbitUrl,
  };

  step('Processes (logs in ' + work + ')');
  const sink = meshgate('display', ['display', '--port', String(displayPort)], {}, work);
  await sink.waitFor(/listening on/, 30_000);
  say(`  display sink (west)  ${display}`);
  // East first: west's first interest announcement then reaches it at once.
  const eastGw = meshgate(
    'gateway-east',
    [
      'start',
      '-f',
      writeSide(join(work, 'east'), eastDocs),
      '--port',
      String(eastPort),
      '--host',
      '127.0.0.1',
    ],
    env,
    work,
  );
  await eastGw.waitFor(/meshgate started/, 60_000);
  say(
    `  gateway-east         ${east}   Broker mesh/default (${services.kafka ? `Kafka channel, KafkaSource on topic ${topic}` : 'memory channel'})`,
  );
  const westGw = meshgate(
    'gateway-west',
    [
      'start',
      '-f',
      writeSide(join(work, 'west'), westDocs),
      '--port',
      String(westPort),
      '--host',
      '127.0.0.1',
    ],
    env,
    work,
  );
  await westGw.waitFor(/meshgate started/, 60_000);
  say(
    `  gateway-west         ${west}   Broker mesh/default (${services.rabbitmq ? 'RabbitMQ channel' : 'memory channel'}), Trigger display: type=order.created`,
  );
  // West announces its Trigger's interest to east at start (east would hold the order until then).
  await waitForPeerInterest(east, 'west', 15_000);

  // The sink's output, prefixed, and the order we are waiting for.
  const orderId = `order-${randomUUID().slice(0, 8)}`;
  let seen: () => void = () => {};
  const arrived = new Promise<void>((resolve) => {
    seen = resolve;
  });
  sink.onLine((line) => {
    say(`  ${cyan('[west display]')} ${line}`);
    if (line.includes(`id: ${orderId}`)) seen();
  });

  const kafka = services.kafka
    ? new Kafka({ clientId: 'meshgate-demo', brokers: kafkaBrokers.split(','), logLevel: logLevel.NOTHING })
    : undefined;
  const producer = kafka?.producer({ allowAutoTopicCreation: true });
  await producer?.connect();
  const publish = async (id: string, type: string, data: unknown): Promise<void> => {
    const body = JSON.stringify(data);
    if (producer) {
      // CloudEvents Kafka protocol binding, binary mode: attributes as ce_ headers.
      await producer.send({
        topic,
        messages: [
          {
            key: id,
            value: body,
            headers: {
              ce_specversion: '1.0',
              ce_id: id,
              ce_source: '/demo/shop',
              ce_type: type,
              ce_time: new Date().toISOString(),
              'content-type': 'application/json',
            },
          },
        ],
      });
    } else {
      const res = await fetch(`${east}/mesh/default`, {
        method: 'POST',
        headers: {
          'ce-specversion': '1.0',
          'ce-id': id,
          'ce-source': '/demo/shop',
          'ce-type': type,
          'content-type': 'application/json',
        },
        body,
      });
      if (!res.ok) throw new Error(`east answered ${res.status}: ${await res.text()}`);
    }
  };

  step(
    services.kafka
      ? `Publishing order ${orderId} to Kafka topic ${topic} at east`
      : `Publishing order ${orderId} to east's HTTP ingress (${east}/mesh/default)`,
  );
  const started = Date.now();
  await publish(orderId, 'order.created', { order: orderId, item: 'espresso machine', quantity: 1 });
  const timeout = setTimeout(() => {
    say(`\n✗ the order did not reach the west sink within 90 s; logs are in ${work}`);
    void stopAll(1, work);
  }, 90_000);
  await arrived;
  clearTimeout(timeout);
  say(
    `\n✓ order ${orderId} went ${services.kafka ? 'Kafka → KafkaSource → ' : 'HTTP → '}east's Broker → peer link → west's Broker → Trigger display → sink in ${Date.now() - started} ms`,
  );

  if (once) {
    await producer?.disconnect();
    await stopAll(0, work);
  }

  step('Try next');
  say(
    `  • Type a line and press Enter: it is published to ${services.kafka ? `Kafka (topic ${topic})` : 'east'} as an order.created event.`,
  );
  say('    Start it with "-" to publish it as page.viewed instead: no Trigger at west can match that type,');
  say('    so it never crosses the link (east counts it as filteredOut).');
  say(`  • Peer links and their counters:   curl ${east}/api/v1/peers`);
  say(`  • Brokers and Triggers:            curl ${west}/api/v1/brokers    curl ${west}/api/v1/triggers`);
  say(
    `  • Send over HTTP:                  node packages/gateway/bin/meshgate.js send --to ${east}/mesh/default --type order.created --source /cli --data '{"order":42}'`,
  );
  say(`  • The web UI:                      ${west}/ui   and   ${east}/ui`);
  say(`  • Metrics:                         curl ${east}/metrics`);
  say('  • Ctrl-C stops the gateways and the sink; `npm run services down` stops the brokers.');

  let n = 0;
  createInterface({ input: process.stdin }).on('line', (line) => {
    const text = line.trim();
    if (!text) return;
    const type = text.startsWith('-') ? 'page.viewed' : 'order.created';
    const id = `order-${randomUUID().slice(0, 8)}`;
    n++;
    publish(id, type, { order: id, note: text.replace(/^-\s*/, ''), n }).then(
      () => say(`  published ${id} (${type})`),
      (err: unknown) => say(`  ✗ could not publish: ${(err as Error).message}`),
    );
  });
}

main().catch((err: unknown) => {
  say(`\n✗ ${(err as Error).message}`);
  void stopAll(1);
});

/** Resolves once `gateway` has heard `peer`'s interest announcement; throws naming both otherwise. */
async function waitForPeerInterest(gateway: string, peer: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await fetch(`${gateway}/api/v1/peers`).catch(() => undefined);
    const body = res?.ok
      ? ((await res.json()) as { items: { id: string; interestKnown?: boolean }[] })
      : undefined;
    if (body?.items.some((p) => p.id === peer && p.interestKnown)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${gateway} has not heard ${peer}'s interest announcement within ${timeoutMs} ms`);
}
