import { ConfigError, MeshgateError, makeEvent } from '@meshgate/core';
import { describe, expect, it } from 'vitest';
import { createPubSubConnection, validateConnectionOptions } from './client.js';
import { PubSubSink } from './sink.js';
import { PubSubSource } from './source.js';

describe('Pub/Sub connection options', () => {
  it('accepts an emulator connection and does not connect yet', async () => {
    const connection = createPubSubConnection({
      name: 'local',
      projectId: 'meshgate-test',
      emulatorHost: '127.0.0.1:9',
    });
    expect(connection.emulator).toBe(true);
    expect(connection.name).toBe('local');
    await connection.close();
  });

  it('names every bad field at once', () => {
    const issues = validateConnectionOptions({
      projectId: 'X',
      emulatorHost: 'nohost',
      credentialsFile: '/k.json',
    });
    expect(issues.map((i) => i.path)).toEqual(['projectId', 'emulatorHost', 'credentialsFile']);
    expect(() => createPubSubConnection({ name: 'bad', projectId: '' })).toThrow(ConfigError);
    expect(() => createPubSubConnection({ name: 'bad', projectId: '' })).toThrow(
      /"bad".*projectId is required/,
    );
  });
});

describe('PubSubSink and PubSubSource options', () => {
  const connection = createPubSubConnection({ projectId: 'meshgate-test', emulatorHost: '127.0.0.1:9' });

  it('refuse invalid topic and subscription names and windows', () => {
    expect(() => new PubSubSink({ connection, topic: 'a' })).toThrow(ConfigError);
    expect(() => new PubSubSource({ connection, subscription: 'goog-x' })).toThrow(ConfigError);
    expect(() => new PubSubSource({ connection, subscription: 'subs', maxInFlight: 0 })).toThrow(
      /maxInFlight/,
    );
  });

  it('refuses an event over the 10 MB message limit before publishing', async () => {
    const sink = new PubSubSink({ connection, topic: 'orders' });
    const big = makeEvent(
      { specversion: '1.0', id: '1', source: '/s', type: 't' },
      Buffer.alloc(10 * 1024 * 1024 + 1),
    );
    const err = await sink.send(big).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MeshgateError);
    expect((err as MeshgateError).code).toBe('PAYLOAD_TOO_LARGE');
    expect((err as MeshgateError).message).toContain('projects/meshgate-test/topics/orders');
  });
});
