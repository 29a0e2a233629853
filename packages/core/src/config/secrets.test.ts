import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { loadConfig, parseConfigText, SecretValue, secretKeyRefEnvName } from './index.js';

const peer = (token: string) =>
  `apiVersion: meshgate.io/v1alpha1\nkind: Peer\nmetadata: {name: p}\nspec:\n  url: http://peer:8080\n  token: ${token}\n`;

describe('secrets', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshgate-secrets-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('come from env, from a file (relative to the config file, trailing newline dropped), or inline', async () => {
    await writeFile(join(dir, 'token.txt'), 'from-file\n');
    await writeFile(join(dir, 'env.yaml'), peer('{valueFrom: {env: PEER_TOKEN}}'));
    await writeFile(
      join(dir, 'file.yaml'),
      peer('{valueFrom: {file: token.txt}}').replace('name: p', 'name: q'),
    );
    await writeFile(join(dir, 'inline.yaml'), peer('just-a-string').replace('name: p', 'name: r'));
    const config = await loadConfig([dir], { env: { PEER_TOKEN: 'from-env' } });
    expect(config.peers.map((p) => [p.metadata.name, p.spec.token?.reveal()])).toEqual([
      ['p', 'from-env'],
      ['q', 'from-file'],
      ['r', 'just-a-string'],
    ]);
  });

  it('from a Knative secretKeyRef read env <SECRET>_<KEY>, upper-cased, other characters as _', () => {
    expect(secretKeyRefEnvName('kafka-creds', 'sasl.mechanism')).toBe('KAFKA_CREDS_SASL_MECHANISM');
    const config = parseConfigText(peer('{secretKeyRef: {name: peer-east, key: token}}'), 'p.yaml', {
      env: { PEER_EAST_TOKEN: 'kref' },
    });
    expect(config.peers[0]?.spec.token?.reveal()).toBe('kref');
  });

  it('missing ones are errors naming the variable or file, with the field path', () => {
    const text = [
      peer('{valueFrom: {env: NOT_SET_ANYWHERE}}'),
      peer('{valueFrom: {file: /nonexistent/meshgate/token}}').replace('name: p', 'name: q'),
      peer('{secretKeyRef: {name: peer-west, key: token}}').replace('name: p', 'name: r'),
    ].join('---\n');
    let error: unknown;
    try {
      parseConfigText(text, 's.yaml', { env: {} });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      {
        file: 's.yaml',
        document: 0,
        path: 'spec.token',
        message: 'environment variable NOT_SET_ANYWHERE is not set',
      },
      {
        file: 's.yaml',
        document: 1,
        path: 'spec.token',
        message: 'cannot read secret file /nonexistent/meshgate/token (ENOENT)',
      },
      {
        file: 's.yaml',
        document: 2,
        path: 'spec.token',
        message: 'secretKeyRef peer-west/token: environment variable PEER_WEST_TOKEN is not set',
      },
    ]);
  });

  it('refuses malformed secret references', () => {
    expect(() => parseConfigText(peer('{valueFrom: {env: "bad name"}}'), 'p.yaml')).toThrow(
      /spec\.token\.valueFrom\.env: must be an environment variable name/,
    );
    expect(() => parseConfigText(peer('{valueFrom: {vault: x}}'), 'p.yaml')).toThrow(
      /spec\.token\.valueFrom/,
    );
    expect(() => parseConfigText(peer('42'), 'p.yaml')).toThrow(/spec\.token/);
  });

  it('never show their value in JSON, String() or util.inspect', () => {
    const config = parseConfigText(peer('{valueFrom: {env: T}}'), 'p.yaml', { env: { T: 's3cr3t-value' } });
    const token = config.peers[0]?.spec.token as SecretValue;
    expect(token).toBeInstanceOf(SecretValue);
    expect(JSON.stringify(config)).not.toContain('s3cr3t-value');
    expect(String(token)).toBe('[redacted]');
    expect(inspect(config, { depth: 10 })).not.toContain('s3cr3t-value');
    expect(inspect(token)).toBe('SecretValue(env T)');
    expect(token.reveal()).toBe('s3cr3t-value');
  });
});
