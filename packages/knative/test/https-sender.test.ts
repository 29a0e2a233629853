/**
 * HttpAddressableSender to https subscribers: node's CAs by default, a private CA when given
 * (`withDefaultCas`), a client certificate for mTLS, and the egress guard still deciding where a
 * connection may go. Certificates are made by the openssl CLI (test/support/certs.ts).
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { makeEvent } from '@meshgate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa } from '../../../test/support/certs.js';
import { EgressRefusedError } from '../src/egress-guard.js';
import {
  HttpAddressableSender,
  type HttpAddressableSenderOptions,
  withDefaultCas,
} from '../src/http-sender.js';

const ca = createTestCa();
const serverCert = ca.server('subscriber');
const clientCert = ca.client('east');
const seen: (string | undefined)[] = [];
let server: Server;
let url: string;

beforeAll(async () => {
  // Asks for a client certificate and records whose it was (none: undefined).
  server = createServer(
    {
      cert: serverCert.certPem,
      key: serverCert.keyPem,
      ca: ca.certPem,
      requestCert: true,
      rejectUnauthorized: false,
    },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      seen.push(
        socket.authorized ? (socket.getPeerCertificate().subject?.CN as string | undefined) : undefined,
      );
      req.resume();
      res.writeHead(202).end();
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const event = makeEvent({ id: '1', source: '/test', type: 'tls' });

async function sendWith(options: HttpAddressableSenderOptions) {
  const sender = new HttpAddressableSender({ connectTimeoutMs: 2000, ...options });
  try {
    return await sender.send({ url, event, timeoutMs: 5000 });
  } finally {
    await sender.close();
  }
}

describe('HttpAddressableSender over https', () => {
  it('refuses a certificate from a CA it does not trust (node default CAs)', async () => {
    // The server sends the test CA along (its `ca` option): a self-signed root node does not know.
    const err = await sendWith({}).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/cannot reach https:\/\/127\.0\.0\.1:\d+\/ \(SELF_SIGNED_CERT_IN_CHAIN/);
  });

  it('trusts a configured CA besides the default ones', async () => {
    const cas = withDefaultCas([ca.certPem]);
    expect(cas.length).toBeGreaterThan(1);
    expect(cas.at(-1)).toBe(ca.certPem);
    expect((await sendWith({ tls: { ca: cas } })).status).toBe(202);
    expect(seen.at(-1)).toBeUndefined();
  });

  it('presents a client certificate (mTLS)', async () => {
    const res = await sendWith({ tls: { ca: ca.certPem, cert: clientCert.certPem, key: clientCert.keyPem } });
    expect(res.status).toBe(202);
    expect(seen.at(-1)).toBe('east');
  });

  it('still applies the egress guard with a CA configured (checked before the handshake)', async () => {
    const before = seen.length;
    const err = await sendWith({
      tls: { ca: withDefaultCas([ca.certPem]) },
      egress: { denyCidrs: ['127.0.0.0/8'] },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EgressRefusedError);
    expect((err as EgressRefusedError).message).toMatch(/denyCidrs 127\.0\.0\.0\/8/);
    expect(seen.length).toBe(before);
  });
});
