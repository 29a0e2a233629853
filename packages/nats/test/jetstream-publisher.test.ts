/**
 * JetStreamPublisher against the real nats-server (JetStream on): PubAcks, duplicates, a subject
 * no stream captures, a reply that never comes, and a closed connection.
 */
import { MeshgateError, NotConnectedError } from '@meshgate/core';
import { connect, type NatsConnection, RetentionPolicy, StorageType } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { services } from '../../../test/support/services.js';
import { natsError } from '../src/errors.js';
import { JetStreamPublisher } from '../src/jetstream-publisher.js';

const stream = `PUBTEST_${Date.now().toString(36)}`;
const subject = `${stream.toLowerCase()}.in`;
let nc: NatsConnection;

beforeAll(async () => {
  nc = await connect({ servers: services.natsUrl() });
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({
    name: stream,
    subjects: [`${stream.toLowerCase()}.>`],
    storage: StorageType.Memory,
    retention: RetentionPolicy.Limits,
  });
});

afterAll(async () => {
  const jsm = await nc.jetstreamManager();
  await jsm.streams.delete(stream).catch(() => {});
  await nc.close();
});

const data = new TextEncoder().encode('{"a":1}');

describe('JetStreamPublisher', () => {
  it('resolves with the PubAck of each publish, many in flight, and flags a repeated Nats-Msg-Id', async () => {
    const publisher = JetStreamPublisher.of(nc);
    expect(JetStreamPublisher.of(nc)).toBe(publisher);
    const acks = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        publisher.publish(subject, data, { msgID: `m-${i}`, timeoutMs: 5000 }),
      ),
    );
    expect(acks.every((a) => a.stream === stream && !a.duplicate)).toBe(true);
    expect(new Set(acks.map((a) => a.seq)).size).toBe(200);
    const again = await publisher.publish(subject, data, { msgID: 'm-7', timeoutMs: 5000 });
    expect(again.duplicate).toBe(true);
    const info = await (await nc.jetstreamManager()).streams.info(stream);
    expect(info.state.messages).toBe(200);
  });

  it('refuses a subject no stream captures: NOT_FOUND naming the subject', async () => {
    const err = await JetStreamPublisher.of(nc)
      .publish('nowhere.at.all', data, { timeoutMs: 5000 })
      .catch((e: unknown) => e);
    const mapped = natsError('NatsSink s', 'subject "nowhere.at.all"', err);
    expect(mapped).toBeInstanceOf(MeshgateError);
    expect(mapped.code).toBe('NOT_FOUND');
    expect(mapped.message).toContain('no JetStream stream captures subject "nowhere.at.all"');
  });

  it('times out when a responder never answers (retriable, not connected)', async () => {
    const silent = `silent.${Date.now()}`;
    const sub = nc.subscribe(silent, { callback: () => {} }); // takes the message, never answers
    const err = await JetStreamPublisher.of(nc)
      .publish(silent, data, { timeoutMs: 200 })
      .catch((e: unknown) => e);
    sub.unsubscribe();
    const mapped = natsError('NatsSink s', `subject "${silent}"`, err);
    expect(mapped).toBeInstanceOf(NotConnectedError);
    expect(mapped.retriable).toBe(true);
  });

  it('rejects what waits and what comes after the connection closed', async () => {
    const other = await connect({ servers: services.natsUrl() });
    const publisher = JetStreamPublisher.of(other);
    const sub = other.subscribe(`hold.${Date.now()}`, { callback: () => {} });
    const waiting = publisher.publish(sub.getSubject(), data, { timeoutMs: 10_000 }).catch((e: unknown) => e);
    await other.close();
    expect(natsError('s', 'x', await waiting)).toBeInstanceOf(NotConnectedError);
    const after = await publisher.publish(subject, data, { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(natsError('s', 'x', after)).toBeInstanceOf(NotConnectedError);
  });
});
