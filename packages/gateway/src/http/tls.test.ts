/**
 * The listener's TLS settings: config validation and defaults, certificate files checked at start,
 * Peer `spec.tls` in the model, an in-process gateway serving https.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseConfigText, silentLogger } from '@meshgate/core';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestCa } from '../../../../test/support/certs.js';
import { Gateway } from '../gateway.js';
import { modelFromConfig } from '../model-from-config.js';
import { egressCas, ListenerTls, listenerTlsOptions } from './tls.js';

const ca = createTestCa();
const server = ca.server('gw');
const other = ca.server('other');

function gatewayDoc(http: string, file = join(ca.dir, 'gateway.yaml')) {
  return parseConfigText(
    `apiVersion: meshgate.io/v1alpha1
kind: Gateway
metadata: {name: gw}
spec:
${http}`,
    file,
  );
}

describe('spec.http.tls', () => {
  it('defaults clientAuth to require with a client CA, none without; resolves paths against the file', () => {
    const withCa = gatewayDoc(`  http:
    tls: {certFile: gw.pem, keyFile: /abs/gw.key, clientCaFile: ca.pem}`);
    expect(listenerTlsOptions(withCa.gateway)).toEqual({
      certFile: join(ca.dir, 'gw.pem'),
      keyFile: '/abs/gw.key',
      clientCaFile: join(ca.dir, 'ca.pem'),
      clientAuth: 'require',
      verifyPeerName: true,
    });
    const plain = gatewayDoc(`  http:
    tls: {certFile: gw.pem, keyFile: gw.key}`);
    expect(listenerTlsOptions(plain.gateway)?.clientAuth).toBe('none');
    expect(listenerTlsOptions(gatewayDoc('  http: {port: 8443}').gateway)).toBeUndefined();
  });

  it('refuses clientAuth request/require without a client CA, and a client CA with clientAuth none', () => {
    expect(() =>
      gatewayDoc(`  http:
    tls: {certFile: a, keyFile: b, clientAuth: request}`),
    ).toThrow(/clientAuth request needs clientCaFile/);
    expect(() =>
      gatewayDoc(`  http:
    tls: {certFile: a, keyFile: b, clientCaFile: c, clientAuth: none}`),
    ).toThrow(/clientCaFile is unused with clientAuth none/);
  });

  it('refuses unreadable files, a key of another certificate, a client CA that is not PEM', () => {
    const options = {
      certFile: server.cert,
      keyFile: server.key,
      clientAuth: 'none',
      verifyPeerName: true,
    } as const;
    expect(() => new ListenerTls(options, silentLogger)).not.toThrow();
    expect(
      () => new ListenerTls({ ...options, certFile: join(ca.dir, 'missing.pem') }, silentLogger),
    ).toThrow(/cannot read certFile .*missing\.pem \(ENOENT\)/);
    expect(() => new ListenerTls({ ...options, keyFile: other.key }, silentLogger)).toThrow(
      /is not the key of the certificate/,
    );
    const junk = join(ca.dir, 'junk.pem');
    writeFileSync(junk, 'junk\n');
    expect(
      () => new ListenerTls({ ...options, clientCaFile: junk, clientAuth: 'require' }, silentLogger),
    ).toThrow(ConfigError);
  });

  it('reads spec.security.egress.caFile once, refusing a file without a certificate', () => {
    const config = gatewayDoc(`  security:
    egress: {caFile: ${ca.cert}}`);
    expect(egressCas(config.gateway)).toEqual([ca.certPem]);
    expect(() => egressCas(gatewayDoc(`  security:\n    egress: {caFile: junk.pem}`).gateway)).toThrow(
      /caFile .*junk\.pem is not a PEM certificate/,
    );
  });
});

describe('Peer spec.tls', () => {
  const peer = (url: string, tls: string) =>
    parseConfigText(
      `apiVersion: meshgate.io/v1alpha1
kind: Peer
metadata: {name: west}
spec:
  url: ${url}
  tls: ${tls}`,
      'peers.yaml',
      { readSecretFile: (p) => `PEM of ${p}` },
    );

  it('becomes the link TLS of an https peer', () => {
    const model = modelFromConfig(
      peer('https://west:8443', '{caCert: {valueFrom: {file: /ca.pem}}, cert: c, key: k, serverName: west}'),
      { selfUrl: 'http://127.0.0.1:1' },
    );
    expect(model.federation?.peers[0]?.tls).toEqual({
      ca: 'PEM of /ca.pem',
      cert: 'c',
      key: 'k',
      serverName: 'west',
    });
  });

  it('is refused on an http URL (it would be ignored), and a certificate needs its key', () => {
    expect(() => modelFromConfig(peer('http://west:8080', '{caCert: x}'), { selfUrl: 'http://x' })).toThrow(
      /tls is set but url http:\/\/west:8080 is not https/,
    );
    expect(() => modelFromConfig(peer('https://west', '{cert: c}'), { selfUrl: 'http://x' })).toThrow(
      /cert and key go together/,
    );
    // Turned off: ignored, whatever the URL.
    expect(
      modelFromConfig(peer('http://west:8080', '{enable: false}'), { selfUrl: 'http://x' }).federation
        ?.peers[0]?.tls,
    ).toBeUndefined();
  });
});

describe('a gateway with spec.http.tls', () => {
  const gateway = new Gateway({
    logger: silentLogger,
    tls: { certFile: server.cert, keyFile: server.key, clientAuth: 'none', verifyPeerName: true },
  });
  const agent = new Agent({ connect: { ca: ca.certPem } });
  afterAll(async () => {
    await agent.close();
    await gateway.stop();
  });

  it('serves https at an https URL', async () => {
    await gateway.listen('127.0.0.1', 0);
    expect(gateway.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await agent.request({ origin: gateway.url, path: '/healthz', method: 'GET' });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ status: 'ok' });
  });
});
