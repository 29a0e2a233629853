import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, makeEvent } from '@meshgate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EgressGuard, EgressRefusedError } from './egress-guard.js';
import { HttpAddressableSender } from './http-sender.js';

let server: Server;
let port = 0;
const paths: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    paths.push(req.url ?? '');
    req.resume();
    if (req.url === '/redirect-local') {
      res.writeHead(307, { location: `http://127.0.0.1:${port}/target` }).end();
    } else if (req.url === '/redirect-metadata') {
      res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    } else res.writeHead(202).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const event = makeEvent({ id: '1', source: '/test', type: 'egress' });

async function sendWith(guard: EgressGuard, url: string) {
  const sender = new HttpAddressableSender({ egress: guard, connectTimeoutMs: 2000 });
  try {
    return await sender.send({ url, event, timeoutMs: 5000 });
  } finally {
    await sender.close();
  }
}

async function refusedWith(guard: EgressGuard, url: string): Promise<EgressRefusedError> {
  const err = await sendWith(guard, url).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EgressRefusedError);
  return err as EgressRefusedError;
}

describe('EgressGuard rules', () => {
  it('refuses link-local and metadata addresses by default, names the rule', () => {
    const g = new EgressGuard();
    expect(g.refusal('169.254.169.254')).toMatch(/link-local/);
    expect(g.refusal('::ffff:169.254.169.254')).toMatch(/link-local/);
    expect(g.refusal('fe80::1')).toMatch(/link-local IPv6/);
    expect(g.refusal('fd00:ec2::254')).toMatch(/metadata/);
    expect(g.refusal('100.100.100.200')).toMatch(/metadata/);
    for (const ok of ['127.0.0.1', '::1', '10.1.2.3', '192.168.0.5', '8.8.8.8', '2001:db8::1'])
      expect(g.refusal(ok)).toBeUndefined();
  });

  it('applies deny first, then allow, then defaults; allow-list mode keeps loopback', () => {
    const g = new EgressGuard({
      denyCidrs: ['10.0.0.0/8'],
      allowCidrs: ['169.254.10.0/24', '192.168.0.0/16'],
    });
    expect(g.refusal('10.9.9.9')).toBe('denyCidrs 10.0.0.0/8');
    expect(g.refusal('169.254.10.7')).toBeUndefined();
    expect(g.refusal('169.254.169.254')).toMatch(/refused by default/);
    expect(g.refusal('8.8.8.8')).toBe('not in allowCidrs');
    expect(g.refusal('127.0.0.1')).toBeUndefined();
    expect(g.refusal('192.168.3.4')).toBeUndefined();
    expect(new EgressGuard({ enabled: false }).refusal('169.254.169.254')).toBeUndefined();
  });

  it('refuses malformed CIDRs with a ConfigError naming each', () => {
    expect(() => new EgressGuard({ allowCidrs: ['10.0.0.0/33', 'nope'] })).toThrow(ConfigError);
    try {
      new EgressGuard({ denyCidrs: ['1.2.3.4/x'] });
    } catch (e) {
      expect((e as ConfigError).issues.map((i) => i.path)).toEqual(['egress.denyCidrs[0]']);
    }
  });
});

describe('HttpAddressableSender with the egress guard', () => {
  it('delivers to loopback by default', async () => {
    expect((await sendWith(new EgressGuard(), `http://127.0.0.1:${port}/ok`)).status).toBe(202);
  });

  it('refuses a link-local IP literal before connecting, not retriable', async () => {
    const err = await refusedWith(new EgressGuard(), 'http://169.254.169.254/latest/meta-data/');
    expect(err.retriable).toBe(false);
    expect(err.address).toBe('169.254.169.254');
    expect(err.message).toMatch(/169\.254\.169\.254.*link-local/);
  });

  it('refuses a DNS name that resolves to a link-local address', async () => {
    const guard = new EgressGuard({
      resolve: async () => [{ address: '169.254.169.254', family: 4 }],
    });
    const err = await refusedWith(guard, `http://metadata.attacker.example:${port}/`);
    expect(err.message).toContain('metadata.attacker.example (resolved to 169.254.169.254)');
    expect(err.rule).toMatch(/link-local/);
  });

  it('checks the answer at connection time (DNS rebinding), keeping only allowed addresses', async () => {
    let answer = '127.0.0.1';
    const guard = new EgressGuard({ resolve: async () => [{ address: answer, family: 4 }] });
    const sender = new HttpAddressableSender({ egress: guard });
    try {
      const url = `http://rebind.example:${port}/first`;
      expect((await sender.send({ url, event })).status).toBe(202);
      answer = '169.254.169.254';
      server.closeAllConnections(); // the next send opens a new connection, and resolves again
      await expect(sender.send({ url, event })).rejects.toBeInstanceOf(EgressRefusedError);
    } finally {
      await sender.close();
    }
    // A mixed answer connects only to the allowed address.
    const mixed = new EgressGuard({
      resolve: async () => [
        { address: '169.254.169.254', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ],
    });
    expect((await sendWith(mixed, `http://mixed.example:${port}/ok`)).status).toBe(202);
  });

  it('refuses loopback when an operator denies it', async () => {
    const err = await refusedWith(
      new EgressGuard({ denyCidrs: ['127.0.0.0/8'] }),
      `http://127.0.0.1:${port}/`,
    );
    expect(err.rule).toBe('denyCidrs 127.0.0.0/8');
  });

  it('does not follow redirects unless allowed, and checks every hop when it does', async () => {
    expect((await sendWith(new EgressGuard(), `http://127.0.0.1:${port}/redirect-local`)).status).toBe(307);
    const follow = new EgressGuard({ allowRedirects: true });
    paths.length = 0;
    expect((await sendWith(follow, `http://127.0.0.1:${port}/redirect-local`)).status).toBe(202);
    expect(paths).toEqual(['/redirect-local', '/target']);
    await refusedWith(follow, `http://127.0.0.1:${port}/redirect-metadata`);
  });
});
