/**
 * TLS with real gateway processes (docs/security.md#tls): east and west serve https with
 * certificates made here by a test CA, and link as peers with mTLS (each presents its own client
 * certificate, named after it). East requires a client certificate on every connection; west asks
 * for one and requires it from peers only. West trusts the test CA for https deliveries
 * (`spec.security.egress.caFile`), east does not. West's certificate files are replaced while it
 * runs: a bad one is refused and the old certificate stays, a good one is served to new connections.
 */
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { type CertFiles, createTestCa } from './support/certs.js';
import { freePort } from './support/ports.js';
import { startMeshgate, startSubscriber } from './support/processes.js';

const ca = createTestCa();
const agents: Agent[] = [];
let httpsSubscriber: Server | undefined;
afterAll(async () => {
  for (const a of agents) await a.close();
  httpsSubscriber?.close();
});

/** An HTTP client trusting the test CA, presenting `client` when given. */
function clientOf(client?: CertFiles): Agent {
  const agent = new Agent({
    connect: { ca: ca.certPem, ...(client && { cert: client.certPem, key: client.keyPem }) },
  });
  agents.push(agent);
  return agent;
}

/** POSTs a binary-mode CloudEvent with `agent`; resolves with the status. */
async function post(
  agent: Agent,
  url: string,
  type: string,
  id: string,
  headers: Record<string, string> = {},
): Promise<number> {
  const u = new URL(url);
  const res = await agent.request({
    origin: u.origin,
    path: u.pathname,
    method: 'POST',
    headers: {
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-source': '/tls-test',
      'ce-type': type,
      'content-type': 'application/json',
      ...headers,
    },
    body: '{"hello":"tls"}',
  });
  await res.body.dump();
  return res.statusCode;
}

/** Opens a TLS connection and resolves with the server certificate's SHA-256 fingerprint. */
function servedFingerprint(port: number, client?: CertFiles): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      ca: ca.certPem,
      ...(client && { cert: client.certPem, key: client.keyPem }),
    });
    socket.once('secureConnect', () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.once('error', reject);
  });
}

/**
 * What a client without a certificate gets from a server that requires one: with TLS 1.3 the
 * client's side of the handshake ends first, then the server's alert arrives on the first read.
 */
function withoutClientCertificate(port: number): Promise<{ error: string; answered: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ca: ca.certPem });
    let answered = false;
    socket.on('secureConnect', () =>
      socket.write('GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n'),
    );
    socket.on('data', () => {
      answered = true;
    });
    socket.once('error', (err: NodeJS.ErrnoException) =>
      resolve({ error: err.code ?? err.message, answered }),
    );
    socket.once('close', () => resolve({ error: 'closed without an error', answered }));
  });
}

function writeConfig(name: string, text: string): string {
  const file = join(ca.dir, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

const broker = `---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: default
  namespace: mesh
  annotations: { meshgate.io/federated: "true" }
`;

function peer(id: string, url: string, client: CertFiles): string {
  return `---
apiVersion: meshgate.io/v1alpha1
kind: Peer
metadata: { name: ${id} }
spec:
  url: ${url}
  token: { valueFrom: { env: MESH_TOKEN } }
  tls:
    caCert: { valueFrom: { file: ${ca.cert} } }
    cert: { valueFrom: { file: ${client.cert} } }
    key: { valueFrom: { file: ${client.key} } }
`;
}

function trigger(name: string, type: string, url: string, delivery = ''): string {
  return `---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: ${name}, namespace: mesh }
spec:
  broker: default
  filter: { attributes: { type: ${type} } }
  subscriber: { uri: ${url} }
${delivery}`;
}

describe('TLS listener, mTLS peer links, https deliveries with a configured CA', () => {
  it('federates over mTLS, refuses peers without a verified certificate, reloads certificates', async () => {
    const sink = await startSubscriber();
    const deadLetters = await startSubscriber();
    // An https subscriber whose certificate the test CA signed.
    const subscriberCert = ca.server('subscriber');
    const httpsRequests: string[] = [];
    httpsSubscriber = createServer(
      { cert: subscriberCert.certPem, key: subscriberCert.keyPem },
      (req, res) => {
        httpsRequests.push(String(req.headers['ce-id']));
        req.resume();
        res.writeHead(202).end();
      },
    );
    await new Promise<void>((r) => httpsSubscriber?.listen(0, '127.0.0.1', r));
    const httpsUrl = `https://127.0.0.1:${(httpsSubscriber.address() as AddressInfo).port}/`;

    const [eastPort, westPort] = [await freePort(), await freePort()];
    const east = `https://127.0.0.1:${eastPort}`;
    const west = `https://127.0.0.1:${westPort}`;
    const eastServer = ca.server('east');
    const westServer = ca.server('west');
    const eastClient = ca.client('east');
    const westClient = ca.client('west');

    const eastFile = writeConfig(
      'east',
      `apiVersion: meshgate.io/v1alpha1
kind: Gateway
metadata: { name: east }
spec:
  id: east
  http:
    tls:
      certFile: ${eastServer.cert}
      keyFile: ${eastServer.key}
      clientCaFile: ${ca.cert}
${broker}${peer('west', west, eastClient)}${trigger(
  'untrusted-https',
  'https.check',
  httpsUrl,
  `  delivery:
    retry: 1
    backoffDelay: PT0.1S
    deadLetterSink: { uri: ${deadLetters.url} }
`,
)}`,
    );
    const westFile = writeConfig(
      'west',
      `apiVersion: meshgate.io/v1alpha1
kind: Gateway
metadata: { name: west }
spec:
  id: west
  http:
    tls:
      certFile: ${westServer.cert}
      keyFile: ${westServer.key}
      clientCaFile: ${ca.cert}
      clientAuth: request
  security:
    egress:
      caFile: ${ca.cert}
${broker}${peer('east', east, westClient)}${trigger('orders', 'order.created', sink.url)}${trigger(
  'trusted-https',
  'https.check',
  httpsUrl,
)}`,
    );
    const env = { MESH_TOKEN: 'tls-shared-secret' };
    const westGw = startMeshgate(['start', '-f', westFile, '--port', String(westPort)], env);
    const eastGw = startMeshgate(['start', '-f', eastFile, '--port', String(eastPort)], env);
    await westGw.waitFor(/meshgate started/);
    await eastGw.waitFor(/meshgate started/);
    const listening = JSON.parse((await westGw.waitFor(/.*"gateway listening".*/))[0]) as {
      url: string;
      scheme: string;
      tls: { clientAuth: string };
    };
    expect(listening).toMatchObject({ url: west, scheme: 'https', tls: { clientAuth: 'request' } });
    expect((await eastGw.waitFor(/.*"gateway listening".*/))[0]).toContain('"clientAuth":"require"');

    // A publisher at east needs a client certificate (any the CA signed: east requires one).
    const publisher = clientOf(ca.client('publisher'));
    // West's announcement reaches east over mTLS; until then east drops what west wants. Probe.
    let probes = 0;
    await expect
      .poll(
        async () => {
          expect(await post(publisher, `${east}/mesh/default`, 'order.created', `probe-${probes++}`)).toBe(
            202,
          );
          return sink.requests().length;
        },
        { timeout: 20_000, interval: 500 },
      )
      .toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 1000));
    const before = sink.requests().length;

    for (let i = 0; i < 20; i++) {
      const type = i % 2 === 0 ? 'order.created' : 'page.viewed';
      expect(await post(publisher, `${east}/mesh/default`, type, `e${i}`)).toBe(202);
    }
    await expect.poll(() => sink.requests().length, { timeout: 15_000 }).toBe(before + 10);
    const ids = sink.requests().map((r) => r.headers['ce-id']);
    for (let i = 0; i < 20; i += 2) expect(ids).toContain(`e${i}`);

    // East requires a client certificate: without one the handshake is refused, nothing answered.
    const refused = await withoutClientCertificate(eastPort);
    expect(refused.answered).toBe(false);
    expect(refused.error).toBe('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');

    // West asks for one: anyone may publish without, but a peer claim needs east's certificate.
    const anonymous = clientOf();
    expect(await post(anonymous, `${west}/mesh/default`, 'page.viewed', 'anon-1')).toBe(202);
    const asEast = { 'meshgate-peer': 'east', authorization: `Bearer ${env.MESH_TOKEN}` };
    // Each on a new connection: the second resumes the first's TLS session, which node reports
    // as authorized though no certificate was shown; still refused.
    const close = { ...asEast, connection: 'close' };
    expect(await post(anonymous, `${west}/mesh/default`, 'order.created', 'forged-1', close)).toBe(401);
    expect(await post(anonymous, `${west}/mesh/default`, 'order.created', 'forged-1', close)).toBe(401);
    await westGw.waitFor(/"reason":"no client certificate".*peer request refused/);
    // A certificate the CA signed, but for someone else: refused, the certificate must name east.
    const mallory = clientOf(ca.client('mallory'));
    expect(await post(mallory, `${west}/mesh/default`, 'order.created', 'forged-2', asEast)).toBe(401);
    await westGw.waitFor(/"reason":"client certificate names mallory, not peer east"/);
    // East's own client certificate with the token gets in (as the forwarder does).
    const asPeer = clientOf(eastClient);
    expect(await post(asPeer, `${west}/mesh/default`, 'order.created', 'direct-1', asEast)).toBe(202);
    await expect.poll(() => sink.requests().some((r) => r.headers['ce-id'] === 'direct-1')).toBe(true);
    expect(sink.requests().some((r) => r.headers['ce-id']?.startsWith('forged'))).toBe(false);

    // https deliveries: west trusts the test CA (egress.caFile) and delivers; east does not, so
    // its Trigger's delivery fails verification and the event goes to its dead-letter sink.
    expect(await post(publisher, `${east}/mesh/default`, 'https.check', 'https-1')).toBe(202);
    await expect.poll(() => httpsRequests, { timeout: 15_000 }).toEqual(['https-1']);
    await expect.poll(() => deadLetters.requests().length, { timeout: 15_000 }).toBe(1);
    expect(deadLetters.requests()[0]?.headers['ce-id']).toBe('https-1');
    await new Promise((r) => setTimeout(r, 500));
    expect(httpsRequests).toEqual(['https-1']);

    // Reload: a broken certificate file is refused and the running certificate stays...
    const original = new X509Certificate(westServer.certPem).fingerprint256;
    expect(await servedFingerprint(westPort)).toBe(original);
    writeFileSync(westServer.cert, 'not a certificate\n');
    await westGw.waitFor(/cannot be used; keeping the current certificate/, 10_000);
    expect(await servedFingerprint(westPort)).toBe(original);
    // ...a new certificate and key replace it for new connections.
    const rotated = ca.server('west-rotated');
    writeFileSync(westServer.key, rotated.keyPem);
    writeFileSync(westServer.cert, rotated.certPem);
    await westGw.waitFor(/TLS certificate reloaded/, 10_000);
    const fingerprint = new X509Certificate(rotated.certPem).fingerprint256;
    expect(fingerprint).not.toBe(original);
    expect(await servedFingerprint(westPort)).toBe(fingerprint);
    // East's peer link keeps working with the new certificate (same CA).
    expect(await post(publisher, `${east}/mesh/default`, 'order.created', 'after-reload')).toBe(202);
    await expect
      .poll(() => sink.requests().some((r) => r.headers['ce-id'] === 'after-reload'), { timeout: 15_000 })
      .toBe(true);

    await eastGw.stop();
    await westGw.stop();
  }, 120_000);
});
