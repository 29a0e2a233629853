import { type Authenticator, nkeys } from 'nats';
import { describe, expect, it } from 'vitest';
import { describeNatsServers, natsConnectOptions } from './connection.js';

const user = nkeys.createUser();
const seed = new TextDecoder().decode(user.getSeed());
const nonce = 'bm9uY2UtZnJvbS1zZXJ2ZXI';

/** What nats.js' authenticator answers to the server's nonce. */
function answer(options: ReturnType<typeof natsConnectOptions>) {
  return (options.authenticator as Authenticator)(nonce) as { nkey?: string; sig?: string; jwt?: string };
}

function verified(sig: string | undefined): boolean {
  return nkeys
    .fromPublic(user.getPublicKey())
    .verify(new TextEncoder().encode(nonce), new Uint8Array(Buffer.from(sig ?? '', 'base64url')));
}

describe('natsConnectOptions', () => {
  it('takes bare URLs as they are', () => {
    expect(natsConnectOptions('nats://h:4222')).toEqual({ servers: 'nats://h:4222' });
    expect(natsConnectOptions(['nats://a:4222', 'nats://b:4222'])).toEqual({
      servers: ['nats://a:4222', 'nats://b:4222'],
    });
  });

  it('passes a token, or a user and password', () => {
    const token = natsConnectOptions({
      servers: ['nats://h:4222'],
      secure: () => ({ auth: { token: 't' } }),
    });
    expect(token).toEqual({ servers: ['nats://h:4222'], token: 't' });
    const up = natsConnectOptions({
      servers: ['nats://h:4222'],
      secure: () => ({ auth: { user: 'u', password: 'p' } }),
    });
    expect(up).toEqual({ servers: ['nats://h:4222'], user: 'u', pass: 'p' });
  });

  it('signs the nonce with an NKey seed (a trailing newline from a file is fine)', () => {
    const options = natsConnectOptions({
      servers: ['nats://h:4222'],
      secure: () => ({ auth: { nkeySeed: `${seed}\n` } }),
    });
    const a = answer(options);
    expect(a.nkey).toBe(user.getPublicKey());
    expect(verified(a.sig)).toBe(true);
  });

  it('answers with the JWT of a .creds file and signs with its seed', () => {
    const jwt = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.c2ln';
    const creds = `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n\n************************* IMPORTANT *************************\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`;
    const a = answer(natsConnectOptions({ servers: ['nats://h:4222'], secure: () => ({ auth: { creds } }) }));
    expect(a.jwt).toBe(jwt);
    expect(a.nkey).toBe(user.getPublicKey());
    expect(verified(a.sig)).toBe(true);
    // As read from a file secret (trailing newline removed): still parsed.
    const trimmed = answer(
      natsConnectOptions({
        servers: ['nats://h:4222'],
        secure: () => ({ auth: { creds: creds.trimEnd() } }),
      }),
    );
    expect(trimmed.jwt).toBe(jwt);
  });

  it("hands TLS settings to Node's tls.connect", () => {
    const options = natsConnectOptions({
      servers: ['tls://h:4222'],
      secure: () => ({ tls: { ca: 'CA', cert: 'C', key: 'K', serverName: 'n', rejectUnauthorized: false } }),
    });
    expect(options.tls).toEqual({
      ca: 'CA',
      cert: 'C',
      key: 'K',
      servername: 'n',
      rejectUnauthorized: false,
    });
    const plain = natsConnectOptions({ servers: ['tls://h:4222'], secure: () => ({ tls: {} }) });
    expect(plain.tls).toEqual({});
  });
});

describe('describeNatsServers', () => {
  it('names an endpoint by its name, else by its URLs', () => {
    expect(describeNatsServers({ servers: ['nats://h:4222'], name: 'shop/nats' })).toBe('shop/nats');
    expect(describeNatsServers({ servers: ['nats://a:1', 'nats://b:2'] })).toBe('nats://a:1,nats://b:2');
    expect(describeNatsServers('nats://h:4222')).toBe('nats://h:4222');
  });
});
