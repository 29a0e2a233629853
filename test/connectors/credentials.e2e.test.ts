/**
 * Middleware credentials end to end (issue 8): `meshgate start` as a process against the
 * authenticated endpoints of the local brokers (scripts/services.sh), every secret from an
 * environment variable or a file, never inline.
 *
 * - Kafka on its SASL listener: a Knative KafkaSource with `net.sasl` (SCRAM-SHA-512, values from
 *   a Secret-like `secretKeyRef`) and a Broker on a Connection with SCRAM-SHA-256 (password from
 *   a file), both consuming and producing; a Connection with a wrong password is refused with an
 *   error naming it, while the process and everything else keep running.
 * - RabbitMQ with a user limited to `meshgate-limited.*`: works on its own queue and exchange, and
 *   is refused, clearly, on others; also over amqps (a TLS front, the CA from NODE_EXTRA_CA_CERTS).
 * - NATS with a token, a user/password and an NKey seed (a wrong password is refused, named), and
 *   mutual TLS with a user on a nats-server the test starts itself.
 *
 * After each, the gateway's whole log and its admin API, /ui and /metrics are searched for every
 * secret used: none may appear.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import amqp from 'amqplib';
import { type Admin, Kafka, logLevel, type Producer } from 'kafkajs';
import {
  createAccount,
  createOperator,
  createUser,
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
} from '@nats-io/jwt';
import {
  type ConnectionOptions,
  connect,
  credsAuthenticator,
  headers as natsHeaders,
  type NatsConnection,
} from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { startSubscriber } from '../support/processes.js';
import { services, uniqueName } from '../support/services.js';
import {
  postEvent,
  RequestTally,
  type RunningGateway,
  renderConfig,
  sleep,
  startGateway,
} from './support.js';

/** Everything an operator can read from a running gateway: admin API, the /ui page and its data, metrics. */
const VIEWS = [
  '/api/v1/brokers',
  '/api/v1/triggers',
  '/api/v1/topology',
  '/api/v1/readiness',
  '/api/v1/deadletters',
  '/api/v1/peers',
  '/ui',
  '/metrics',
];

async function operatorViews(gw: RunningGateway): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const path of VIEWS) {
    const res = await fetch(`${gw.url}${path}`);
    out[path] = await res.text();
  }
  return out;
}

/**
 * Fails naming the place when any secret shows up in the gateway's output (stdout and stderr,
 * every line since start), its operator views, or the extra texts (error answers).
 */
async function expectNoSecrets(
  gw: RunningGateway,
  secrets: readonly string[],
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  const views = await operatorViews(gw);
  const places: Record<string, string> = {
    stdout: gw.proc.lines.join('\n'),
    stderr: gw.proc.stderr(),
    ...views,
    ...extra,
  };
  for (const secret of secrets) expect(secret.length).toBeGreaterThan(5);
  const leaks = Object.entries(places).flatMap(([where, text]) =>
    secrets.filter((s) => text.includes(s)).map(() => where),
  );
  expect(leaks, 'places where a secret appeared').toEqual([]);
  return views;
}

async function readiness(gw: RunningGateway): Promise<{ ready: boolean; reasons: string[] }> {
  return (await (await fetch(`${gw.url}/api/v1/readiness`)).json()) as { ready: boolean; reasons: string[] };
}

/** Polls the readiness reasons until one matches. */
async function reasonMatching(gw: RunningGateway, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { reasons } = await readiness(gw);
    const hit = reasons.find((r) => pattern.test(r));
    if (hit) return hit;
    if (Date.now() > deadline)
      throw new Error(`no readiness reason matches ${pattern}: ${JSON.stringify(reasons)}`);
    await sleep(200);
  }
}

/** The reason the topology (the /ui's data) gives for a Source or Sink `ns/name`, once it matches. */
async function nodeReason(
  gw: RunningGateway,
  key: string,
  pattern: RegExp,
  timeoutMs = 20_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const topology = (await (await fetch(`${gw.url}/api/v1/topology`)).json()) as {
      nodes: { id: string; kind: string; reason?: string }[];
    };
    const node = topology.nodes.find(
      (n) =>
        (n.kind === 'source' || n.kind === 'sink') && (n.id.endsWith(` ${key}`) || n.id.endsWith(`:${key}`)),
    );
    const reason = node?.reason;
    if (reason && pattern.test(reason)) return reason;
    if (Date.now() > deadline) {
      throw new Error(
        `topology node ${node?.id ?? key}: reason ${reason ?? '(none)'} does not match ${pattern}`,
      );
    }
    await sleep(200);
  }
}

/** The nats-server binary (services.sh runs the same one). */
const NATS_SERVER = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';

/**
 * A nats-server of the test's own with `config` (written to `dir`), and a connection to it with
 * `options`, retried until the server listens (10 s).
 */
async function startOwnNatsServer(
  dir: string,
  config: string,
  options: ConnectionOptions,
): Promise<{ server: ChildProcess; nc: NatsConnection }> {
  writeFileSync(join(dir, 'nats.conf'), config);
  const server = spawn(NATS_SERVER, ['-c', join(dir, 'nats.conf')], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return { server, nc: await connect({ ...options, reconnect: false }) };
    } catch (err) {
      if (Date.now() > deadline) {
        server.kill('SIGKILL');
        throw err;
      }
      await sleep(100);
    }
  }
}

const stillRunning = (gw: RunningGateway) =>
  gw.proc.child.exitCode === null && gw.proc.child.signalCode === null;

describe('Kafka credentials (SASL/SCRAM listener)', () => {
  const sasl = services.kafkaSasl();
  const wrongPassword = `wrong-${uniqueName('kafka')}`;
  // The test's own client logs in as the same user with SCRAM-SHA-256.
  const kafka = new Kafka({
    clientId: 'e2e-credentials',
    brokers: sasl.brokers,
    sasl: { mechanism: 'scram-sha-256', username: sasl.user, password: sasl.password },
    logLevel: logLevel.NOTHING,
  });
  let admin: Admin;
  let producer: Producer;
  const topics: string[] = [];

  beforeAll(async () => {
    admin = kafka.admin();
    producer = kafka.producer();
    await Promise.all([admin.connect(), producer.connect()]);
  });
  afterAll(async () => {
    await admin.deleteTopics({ topics }).catch(() => {});
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  });

  it('a KafkaSource (net.sasl SCRAM-SHA-512), a KafkaSink (auth.secret.ref) and a SCRAM-SHA-256 Connection consume and produce; a wrong password is refused and named, the rest keeps running; no secret shows', async () => {
    const sourceTopic = uniqueName('e2e-cred-source');
    const brokerTopic = uniqueName('e2e-cred-broker');
    const wrongTopic = uniqueName('e2e-cred-wrong');
    const sinkTopic = uniqueName('e2e-cred-sink');
    topics.push(sourceTopic, brokerTopic, sinkTopic);
    await admin.createTopics({ topics: [{ topic: sourceTopic, numPartitions: 1 }], waitForLeaders: true });
    const passwordFile = join(mkdtempSync(join(tmpdir(), 'meshgate-secret-')), 'kafka-password');
    writeFileSync(passwordFile, `${sasl.password}\n`, { mode: 0o600 });

    const http = await startSubscriber();
    const file = renderConfig('credentials-kafka.yaml', {
      saslBrokers: sasl.brokers.join(','),
      sourceTopic,
      group: uniqueName('e2e-cred-group'),
      brokerTopic,
      wrongTopic,
      sinkTopic,
      passwordFile,
      httpUrl: http.url,
    });
    expect(readFileSync(file, 'utf8')).not.toContain(sasl.password);
    const gw = await startGateway(file, '0', {
      MESHGATE_LOG_LEVEL: 'debug',
      // secretKeyRef {name: kafka-sasl, key: saslType}; user and password come from the
      // KAFKA_SASL_USER / KAFKA_SASL_PASSWORD the services script exports.
      KAFKA_SASL_SASLTYPE: 'SCRAM-SHA-512',
      // The KafkaSink's auth secret: Knative's keys protocol and sasl.mechanism.
      KAFKA_SASL_PROTOCOL: 'SASL_PLAINTEXT',
      KAFKA_SASL_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_WRONG_PASSWORD: wrongPassword,
    });
    const tally = new RequestTally(http);

    // KafkaSource over SCRAM-SHA-512: a record written by the test arrives at the HTTP sink.
    await producer.send({
      topic: sourceTopic,
      messages: [
        {
          value: Buffer.from('{"via":"scram-sha-512"}'),
          headers: {
            ce_specversion: '1.0',
            ce_id: 'k-src-1',
            ce_type: 'com.example.credentials',
            ce_source: '/e2e/credentials',
            'content-type': 'application/json',
          },
        },
      ],
    });
    await tally.until((t) => t.ids.has('k-src-1'), 30_000, 'the KafkaSource record at the HTTP sink');

    // Broker on the SCRAM-SHA-256 Connection: the 202 means the event is in its Kafka topic
    // (produced with the Connection's credentials), the Trigger reads it back (consumed with them).
    const res = await postEvent(`${gw.url}/shop/default`, 'k-brk-1', 'com.example.credentials', '{"n":1}');
    expect(res.status).toBe(202);
    const offsets = await admin.fetchTopicOffsets(brokerTopic);
    expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(1);
    await tally.until((t) => t.ids.has('k-brk-1'), 30_000, 'the Broker event at the Trigger subscriber');

    // KafkaSink with auth.secret.ref over SCRAM-SHA-512: the 202 means the record is in its topic.
    const sunk = await postEvent(
      `${gw.url}/shop/scram-out`,
      'k-sink-1',
      'com.example.credentials',
      '{"n":9}',
    );
    expect(sunk.status).toBe(202);
    const sinkOffsets = await admin.fetchTopicOffsets(sinkTopic);
    expect(sinkOffsets.reduce((n, p) => n + Number(p.high), 0)).toBe(1);

    // The wrong password: refused by Kafka, and every report names the Connection.
    const refused =
      /connection shop\/kafka-wrong .*Kafka refused the credentials \(SASL SCRAM SHA256 authentication failed/;
    const wrong = await postEvent(`${gw.url}/shop/wrong`, 'k-wrong-1', 'com.example.credentials', '{"n":2}');
    const wrongBody = await wrong.text();
    expect(wrong.status).toBe(503);
    expect(wrongBody).toMatch(refused);
    expect(await reasonMatching(gw, /broker shop\/wrong/)).toMatch(refused);
    await gw.proc.waitFor(/Kafka refused the credentials/);
    expect(gw.proc.lines.some((l) => refused.test(l))).toBe(true);

    // The process stays up, and the working Broker still works.
    await sleep(1000);
    expect(stillRunning(gw)).toBe(true);
    const again = await postEvent(`${gw.url}/shop/default`, 'k-brk-2', 'com.example.credentials', '{"n":3}');
    expect(again.status).toBe(202);
    await tally.until((t) => t.ids.has('k-brk-2'), 30_000, 'a second Broker event after the refusal');

    const views = await expectNoSecrets(gw, [sasl.password, wrongPassword], {
      'answer of /shop/wrong': wrongBody,
    });
    // The grep looked at something: the views do describe these components.
    expect(views['/api/v1/topology']).toContain('scram512-in');
    expect(views['/api/v1/brokers']).toContain('kafka-wrong');
    expect(await gw.proc.stop('SIGTERM')).toBe(0);
  }, 120_000);
});

describe('Kafka over TLS (SSL listener, a test CA)', () => {
  it('a Connection trusting the CA produces and consumes; one trusting only the system CAs is refused, named', async () => {
    const tls = services.kafkaTls();
    const brokerTopic = uniqueName('e2e-tls-broker');
    const untrustedTopic = uniqueName('e2e-tls-untrusted');
    const http = await startSubscriber();
    const gw = await startGateway(
      renderConfig('credentials-kafka-tls.yaml', {
        tlsBrokers: tls.brokers.join(','),
        caFile: tls.caFile,
        brokerTopic,
        untrustedTopic,
        httpUrl: http.url,
      }),
    );
    // The Broker's channel is the topic behind the TLS listener: 202 once it is there.
    const res = await postEvent(`${gw.url}/shop/default`, 'tls-1', 'com.example.tls', '{"n":1}');
    expect(res.status).toBe(202);
    const tally = new RequestTally(http);
    await tally.until(
      (t) => t.ids.has('tls-1'),
      30_000,
      'the event through the TLS listener at the Trigger subscriber',
    );
    const check = new Kafka({
      clientId: 'e2e-tls',
      brokers: tls.brokers,
      ssl: { ca: [readFileSync(tls.caFile, 'utf8')] },
      logLevel: logLevel.NOTHING,
    }).admin();
    await check.connect();
    const offsets = await check.fetchTopicOffsets(brokerTopic);
    expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(1);

    // Without the CA the certificate is not trusted: the Broker is not ready and says why.
    const refused = await postEvent(`${gw.url}/shop/untrusted`, 'tls-2', 'com.example.tls', '{"n":2}');
    expect(refused.status).toBe(503);
    const why = await reasonMatching(gw, /broker shop\/untrusted/);
    expect(why).toMatch(/connection shop\/kafka-untrusted .*unable to verify the first certificate/);
    expect(stillRunning(gw)).toBe(true);
    await check.deleteTopics({ topics: [brokerTopic] }).catch(() => {});
    await check.disconnect();
    expect(await gw.proc.stop('SIGTERM')).toBe(0);
  }, 90_000);
});

describe('RabbitMQ credentials (a limited user)', () => {
  const limited = services.rabbitmqLimited();
  let guest: amqp.ChannelModel;
  let channel: amqp.Channel;
  const id = uniqueName('e2e');
  const allowedQueue = `meshgate-limited.${id}.in`;
  const allowedExchange = `meshgate-limited.${id}.x`;
  const allowedOut = `meshgate-limited.${id}.out`;
  const forbiddenQueue = `${id}.forbidden.in`;
  const forbiddenExchange = `${id}.forbidden.x`;

  beforeAll(async () => {
    // The resources exist (made by the admin user): what the limited user meets is permissions only.
    guest = await amqp.connect(services.rabbitmqUrl());
    channel = await guest.createChannel();
    for (const q of [allowedQueue, allowedOut, forbiddenQueue])
      await channel.assertQueue(q, { durable: false });
    for (const x of [allowedExchange, forbiddenExchange])
      await channel.assertExchange(x, 'direct', { durable: false });
    await channel.bindQueue(allowedOut, allowedExchange, 'out');
  });
  afterAll(async () => {
    for (const q of [allowedQueue, allowedOut, forbiddenQueue]) await channel.deleteQueue(q).catch(() => {});
    for (const x of [allowedExchange, forbiddenExchange]) await channel.deleteExchange(x).catch(() => {});
    await guest.close();
  });

  it('works on meshgate-limited.* and is refused, clearly, elsewhere; no secret shows', async () => {
    const http = await startSubscriber();
    const url = new URL(services.rabbitmqUrl());
    url.username = '';
    url.password = '';
    const gw = await startGateway(
      renderConfig('credentials-rabbitmq.yaml', {
        url: url.toString(),
        allowedQueue,
        allowedExchange,
        forbiddenQueue,
        forbiddenExchange,
        httpUrl: http.url,
        tls: 'false',
      }),
      '0',
      { MESHGATE_LOG_LEVEL: 'debug' },
    );
    const tally = new RequestTally(http);

    // Allowed: the source consumes its queue as the limited user...
    channel.sendToQueue(allowedQueue, Buffer.from('{"q":"allowed"}'), {
      contentType: 'application/json',
      headers: {
        'ce-specversion': '1.0',
        'ce-id': 'r-in-1',
        'ce-type': 'com.example.credentials',
        'ce-source': '/e2e',
      },
    });
    await tally.until((t) => t.ids.has('r-in-1'), 20_000, 'the allowed queue event at the HTTP sink');
    // ... and the sink publishes to its exchange.
    const ok = await postEvent(`${gw.url}/shop/allowed-out`, 'r-out-1', 'com.example.credentials', '{"n":1}');
    expect(ok.status).toBe(202);
    let message: amqp.GetMessage | false = false;
    for (let deadline = Date.now() + 10_000; !message && Date.now() < deadline; await sleep(100)) {
      message = await channel.get(allowedOut, { noAck: true });
    }
    if (!message) throw new Error('nothing arrived through the allowed exchange');
    expect(message.properties.headers?.['ce-id']).toBe('r-out-1');

    // Forbidden: the sink's publish is refused by the broker, and says so.
    const denied = await postEvent(
      `${gw.url}/shop/forbidden-out`,
      'r-out-2',
      'com.example.credentials',
      '{"n":2}',
    );
    const deniedBody = await denied.text();
    expect(denied.status).toBeGreaterThanOrEqual(400);
    expect(deniedBody).toMatch(/RabbitmqSink shop\/forbidden-out: the broker refused access to exchange/);
    expect(deniedBody).toMatch(
      /ACCESS_REFUSED - access to exchange '[^']*forbidden\.x' in vhost '\/' refused for user 'meshgate-limited'/,
    );
    // The forbidden source is degraded with the broker's refusal, retried, and the allowed one keeps going.
    const sourceReason = await nodeReason(gw, 'shop/forbidden-in', /ACCESS_REFUSED/);
    expect(sourceReason).toMatch(
      /access to queue '[^']*forbidden\.in' in vhost '\/' refused for user 'meshgate-limited'/,
    );
    channel.sendToQueue(allowedQueue, Buffer.from('{"q":"allowed"}'), {
      contentType: 'application/json',
      headers: {
        'ce-specversion': '1.0',
        'ce-id': 'r-in-2',
        'ce-type': 'com.example.credentials',
        'ce-source': '/e2e',
      },
    });
    await tally.until((t) => t.ids.has('r-in-2'), 20_000, 'the allowed source still consuming');
    expect(stillRunning(gw)).toBe(true);
    // Nothing leaked into the forbidden queue.
    expect(await channel.get(forbiddenQueue, { noAck: true })).toBe(false);

    const views = await expectNoSecrets(gw, [limited.password], {
      'answer of /shop/forbidden-out': deniedBody,
    });
    expect(views['/api/v1/topology']).toContain('forbidden-in');
    expect(await gw.proc.stop('SIGTERM')).toBe(0);
  }, 90_000);

  it('amqps: tls.enable turns the URL into amqps, verified with the CA from NODE_EXTRA_CA_CERTS', async () => {
    // RabbitMQ here has no TLS listener: a TLS front on a free port stands for one, piping to 5672.
    const dir = mkdtempSync(join(tmpdir(), 'meshgate-amqps-'));
    const certs = makeCertificates(dir);
    let secured = 0;
    const upstream = new URL(services.rabbitmqUrl());
    const front = createTlsServer(
      { cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey) },
      (socket) => {
        secured += 1;
        const broker = netConnect(Number(upstream.port || 5672), upstream.hostname);
        socket.on('error', () => broker.destroy());
        broker.on('error', () => socket.destroy());
        socket.pipe(broker).pipe(socket);
      },
    );
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    const port = (front.address() as AddressInfo).port;
    try {
      const http = await startSubscriber();
      const gw = await startGateway(
        renderConfig('credentials-rabbitmq.yaml', {
          url: `amqp://127.0.0.1:${port}/`,
          allowedQueue,
          allowedExchange,
          forbiddenQueue,
          forbiddenExchange,
          httpUrl: http.url,
          tls: 'true',
        }),
        '0',
        { NODE_EXTRA_CA_CERTS: certs.ca },
      );
      const tally = new RequestTally(http);
      channel.sendToQueue(allowedQueue, Buffer.from('{"q":"amqps"}'), {
        contentType: 'application/json',
        headers: {
          'ce-specversion': '1.0',
          'ce-id': 'r-tls-1',
          'ce-type': 'com.example.credentials',
          'ce-source': '/e2e',
        },
      });
      await tally.until((t) => t.ids.has('r-tls-1'), 20_000, 'the event read over amqps');
      expect(secured).toBeGreaterThan(0);
      await expectNoSecrets(gw, [limited.password]);
      expect(await gw.proc.stop('SIGTERM')).toBe(0);

      // The certificate is checked: without the CA the same configuration does not connect.
      const untrusting = await startGateway(
        renderConfig('credentials-rabbitmq.yaml', {
          url: `amqp://127.0.0.1:${port}/`,
          allowedQueue,
          allowedExchange,
          forbiddenQueue,
          forbiddenExchange,
          httpUrl: http.url,
          tls: 'true',
        }),
      );
      expect(await nodeReason(untrusting, 'shop/allowed-in', /certificate/i)).toMatch(
        /self.signed|issuer|verify/i,
      );
      expect(await untrusting.proc.stop('SIGTERM')).toBe(0);
    } finally {
      front.close();
    }
  }, 90_000);
});

/**
 * Through the gateway with one Connection's credentials: NATS -> NatsSource `<name>-in` -> HTTP
 * sink, and HTTP -> NatsSink `<name>-out` -> NATS, the test's end on `nc`.
 */
async function natsRoundTrip(
  gw: RunningGateway,
  tally: RequestTally,
  nc: NatsConnection,
  prefix: string,
  name: string,
): Promise<void> {
  // In: core NATS is at most once, so publish until the source (subscribed by now or soon) got one.
  const id = `n-${name}-in`;
  const h = natsHeaders();
  h.set('ce-specversion', '1.0');
  h.set('ce-id', id);
  h.set('ce-type', 'com.example.credentials');
  h.set('ce-source', `/e2e/nats/${name}`);
  const deadline = Date.now() + 20_000;
  while (!tally.update().ids.has(id)) {
    if (Date.now() > deadline) throw new Error(`the ${name} source delivered nothing`);
    nc.publish(`${prefix}.${name}.in`, new TextEncoder().encode(`{"via":"${name}"}`), { headers: h });
    await sleep(250);
  }
  // Out: the sink publishes with its Connection's credentials; the test reads it back.
  const sub = nc.subscribe(`${prefix}.${name}.out`, { max: 1 });
  await nc.flush();
  const res = await postEvent(`${gw.url}/shop/${name}-out`, `n-${name}-out`, 'com.example.credentials', '{}');
  expect(res.status, await res.clone().text()).toBe(202);
  const received = await Promise.race([
    (async () => {
      for await (const m of sub) return m;
      return undefined;
    })(),
    sleep(10_000).then(() => undefined),
  ]);
  expect(received?.headers?.get('ce-id'), `the ${name} sink's message`).toBe(`n-${name}-out`);
}

describe('NATS credentials (token, user/password, NKey)', () => {
  const auth = services.natsAuth();
  const seed = readFileSync(auth.nkeySeedFile, 'utf8').trim();
  const wrongPassword = `wrong-${uniqueName('nats')}`;
  const prefix = uniqueName('e2e-cred').replace(/[^A-Za-z0-9_-]/g, '_');
  let asUser: NatsConnection;
  let asToken: NatsConnection;

  beforeAll(async () => {
    asUser = await connect({ servers: auth.url, user: auth.user, pass: auth.password });
    asToken = await connect({ servers: auth.tokenUrl, token: auth.token });
  });
  afterAll(async () => {
    await asUser.close();
    await asToken.close();
  });

  it('a source and a sink per credential kind carry events; a wrong password is refused and named; no secret shows', async () => {
    const http = await startSubscriber();
    const gw = await startGateway(
      renderConfig('credentials-nats.yaml', {
        tokenUrl: auth.tokenUrl,
        authUrl: auth.url,
        nkeySeedFile: auth.nkeySeedFile,
        prefix,
        httpUrl: http.url,
      }),
      '0',
      { MESHGATE_LOG_LEVEL: 'debug', NATS_WRONG_PASSWORD: wrongPassword },
    );
    const tally = new RequestTally(http);
    // The servers require credentials: each Connection got in with its own (the NKey one has
    // nothing but the seed file).
    await natsRoundTrip(gw, tally, asToken, prefix, 'token');
    await natsRoundTrip(gw, tally, asUser, prefix, 'user');
    await natsRoundTrip(gw, tally, asUser, prefix, 'nkey');

    // A wrong password: the sink answers that the server refused the credentials of shop/nats-wrong.
    const refused = /NATS shop\/nats-wrong refused the credentials \('?Authorization Violation'?\)/;
    const wrong = await postEvent(`${gw.url}/shop/wrong-out`, 'n-wrong-1', 'com.example.credentials', '{}');
    const wrongBody = await wrong.text();
    expect(wrong.status).toBe(503);
    expect(wrongBody).toMatch(refused);
    expect(await nodeReason(gw, 'shop/wrong-out', refused)).toMatch(refused);
    expect(stillRunning(gw)).toBe(true);

    const views = await expectNoSecrets(gw, [auth.password, auth.token, seed, wrongPassword], {
      'answer of /shop/wrong-out': wrongBody,
    });
    expect(views['/api/v1/topology']).toContain('nkey-in');
    expect(await gw.proc.stop('SIGTERM')).toBe(0);
  }, 120_000);
});

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
function makeCertificates(dir: string) {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=meshgate test CA',
  );
  for (const [name, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth'],
    ['client', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
    ssl('req', ...ec, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', `/CN=meshgate ${name}`);
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.pem`,
    );
  }
  return {
    ca: join(dir, 'ca.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server-key.pem'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client-key.pem'),
  };
}

describe('NATS over TLS (a client certificate and a user)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshgate-nats-tls-'));
  const password = `pw-${uniqueName('nats-tls')}`;
  const prefix = uniqueName('e2e-tls').replace(/[^A-Za-z0-9_-]/g, '_');
  let certs: ReturnType<typeof makeCertificates>;
  let server: ChildProcess;
  let url: string;
  let nc: NatsConnection;

  beforeAll(async () => {
    certs = makeCertificates(dir);
    const port = await freePort();
    url = `tls://127.0.0.1:${port}`;
    // A server of its own: TLS required, client certificates verified, and a password on top.
    const tls = {
      ca: readFileSync(certs.ca, 'utf8'),
      cert: readFileSync(certs.clientCert, 'utf8'),
      key: readFileSync(certs.clientKey, 'utf8'),
    };
    ({ server, nc } = await startOwnNatsServer(
      dir,
      `listen: 127.0.0.1:${port}
tls { cert_file: "${certs.serverCert}", key_file: "${certs.serverKey}", ca_file: "${certs.ca}", verify: true }
authorization { users: [ { user: meshgate, password: "${password}" } ] }
`,
      { servers: url, user: 'meshgate', pass: password, tls },
    ));
  });
  afterAll(async () => {
    await nc?.close();
    server?.kill('SIGKILL');
  });

  it('connects with the CA, client certificate and key from files; no key material or password shows', async () => {
    const http = await startSubscriber();
    const gw = await startGateway(
      renderConfig('credentials-nats-tls.yaml', {
        url,
        caFile: certs.ca,
        certFile: certs.clientCert,
        keyFile: certs.clientKey,
        prefix,
        httpUrl: http.url,
      }),
      '0',
      { MESHGATE_LOG_LEVEL: 'debug', NATS_TLS_USER: 'meshgate', NATS_TLS_PASSWORD: password },
    );
    await natsRoundTrip(gw, new RequestTally(http), nc, prefix, 'tls');
    // A line from the middle of the client key's PEM body: none of it may show anywhere.
    const keyLines = readFileSync(certs.clientKey, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('-----'));
    await expectNoSecrets(gw, [password, keyLines[Math.floor(keyLines.length / 2)] as string]);
    expect(await gw.proc.stop('SIGTERM')).toBe(0);
  }, 90_000);
});

describe('NATS decentralized auth (a .creds file, operator mode)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshgate-nats-creds-'));
  const prefix = uniqueName('e2e-creds').replace(/[^A-Za-z0-9_-]/g, '_');
  let server: ChildProcess;
  let url: string;
  let nc: NatsConnection;
  let userSeed: string;

  beforeAll(async () => {
    // An operator, an account it signed, a user the account signed; and a stranger: a user signed
    // by an account the server does not know.
    const operator = createOperator();
    const account = createAccount();
    const user = createUser();
    const otherAccount = createAccount();
    const stranger = createUser();
    const operatorJwt = await encodeOperator('meshgate-test', operator);
    // Unlimited: the default account limits are zero connections and subscriptions.
    const unlimited = {
      conn: -1,
      subs: -1,
      data: -1,
      payload: -1,
      imports: -1,
      exports: -1,
      leaf: -1,
      wildcards: true,
    };
    const accountJwt = await encodeAccount('shop', account, { limits: unlimited }, { signer: operator });
    const userJwt = await encodeUser('gateway', user, account);
    const strangerJwt = await encodeUser('stranger', stranger, otherAccount);
    writeFileSync(join(dir, 'gateway.creds'), fmtCreds(userJwt, user), { mode: 0o600 });
    writeFileSync(join(dir, 'stranger.creds'), fmtCreds(strangerJwt, stranger), { mode: 0o600 });
    userSeed = new TextDecoder().decode(user.getSeed());
    const port = await freePort();
    url = `nats://127.0.0.1:${port}`;
    ({ server, nc } = await startOwnNatsServer(
      dir,
      `listen: 127.0.0.1:${port}
operator: ${operatorJwt}
resolver: MEMORY
resolver_preload: { ${account.getPublicKey()}: ${accountJwt} }
`,
      { servers: url, authenticator: credsAuthenticator(fmtCreds(userJwt, user)) },
    ));
  });
  afterAll(async () => {
    await nc?.close();
    server?.kill('SIGKILL');
  });

  it('connects with the user JWT and seed of a .creds file; a stranger is refused, named; no seed shows', async () => {
    const http = await startSubscriber();
    const gw = await startGateway(
      renderConfig('credentials-nats-creds.yaml', {
        url,
        credsFile: join(dir, 'gateway.creds'),
        strangerCredsFile: join(dir, 'stranger.creds'),
        prefix,
        httpUrl: http.url,
      }),
      '0',
      { MESHGATE_LOG_LEVEL: 'debug' },
    );
    await natsRoundTrip(gw, new RequestTally(http), nc, prefix, 'creds');
    const refused = await postEvent(
      `${gw.url}/shop/stranger-out`,
      'n-stranger',
      'com.example.credentials',
      '{}',
    );
    expect(refused.status).toBe(503);
    expect(await refused.text()).toMatch(/NATS shop\/nats-stranger refused the credentials/);
    expect(stillRunning(gw)).toBe(true);
    await expectNoSecrets(gw, [userSeed]);
    expect(await gw.proc.stop('SIGTERM')).toBe(0);
  }, 90_000);
});
