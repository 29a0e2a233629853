// NATS-specific behaviour beyond the shared suite: term after max deliveries (with a dead-letter
// subject), JetStream de-duplication through Nats-Msg-Id, core NATS at most once.
import type { Delivery } from '@meshgate/core';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  conformanceEvent,
  DeliveryRecorder,
  sleep,
  waitUntil,
} from '../../../test/support/connector-conformance.js';
import { services, uniqueName } from '../../../test/support/services.js';
import { jetStreamName, NatsSink, NatsSource, NatsSubjectSource } from '../src/index.js';

let nc: NatsConnection;
const streams: string[] = [];

async function stream(): Promise<string> {
  const name = jetStreamName(uniqueName('NJS'));
  await (await nc.jetstreamManager()).streams.add({ name, subjects: [`${name}.>`] });
  streams.push(name);
  return name;
}

beforeAll(async () => {
  nc = await connect({ servers: services.natsUrl() });
});
afterAll(async () => {
  const jsm = await nc.jetstreamManager();
  for (const s of streams) await jsm.streams.delete(s).catch(() => {});
  await nc.close();
});

describe('nats jetstream source', () => {
  it('terminates a message after maxDeliveries, copying it to the dead-letter subject first', async () => {
    const s = await stream();
    const sink = new NatsSink({ name: 'dlq-sink', servers: services.natsUrl(), subject: `${s}.in` });
    const event = conformanceEvent(1);
    await sink.send(event);
    const recorder = new DeliveryRecorder((d) => d.nack(new Error('subscriber down'), 0));
    const source = new NatsSource({
      name: 'max',
      servers: services.natsUrl(),
      stream: s,
      filterSubject: `${s}.in`,
      maxDeliveries: 3,
      deadLetterSubject: `${s}.dead`,
      pullExpiresMs: 1000,
    });
    await source.start(recorder.handler);
    try {
      await recorder.waitFor(3);
      const jsm = await nc.jetstreamManager();
      const dead = await (async () => {
        for (let i = 0; i < 100; i++) {
          const msg = await jsm.streams.getMessage(s, { last_by_subj: `${s}.dead` }).catch(() => undefined);
          if (msg !== undefined) return msg;
          await sleep(100);
        }
        throw new Error('nothing on the dead-letter subject');
      })();
      expect(dead.header.get('ce-id')).toBe(event.attributes.id);
      expect(dead.header.get('Meshgate-Error')).toBe('subscriber down');
      await sleep(500);
      expect(recorder.received.length).toBe(3);
      expect(recorder.received.map((d: Delivery) => d.redeliveries)).toEqual([0, 1, 2]);
    } finally {
      await source.stop();
      await sink.close();
    }
  });

  it('keeps a long delivery from being redelivered with working(), past ack_wait', async () => {
    const s = await stream();
    const sink = new NatsSink({ name: 'long', servers: services.natsUrl(), subject: `${s}.in` });
    await sink.send(conformanceEvent(1));
    let first: Delivery | undefined;
    const recorder = new DeliveryRecorder((d) => {
      first ??= d;
    });
    const source = new NatsSource({ name: 'long', servers: services.natsUrl(), stream: s, ackWaitMs: 1000 });
    await source.start(recorder.handler);
    try {
      await recorder.waitFor(1);
      // Three ack waits: without working() JetStream would have redelivered it twice by now.
      await sleep(3000);
      expect(recorder.received.length).toBe(1);
      first!.ack();
    } finally {
      await source.stop();
      await sink.close();
    }
  });

  it('stores an event sent twice once (Nats-Msg-Id from source and id)', async () => {
    const s = await stream();
    const sink = new NatsSink({ name: 'dup', servers: services.natsUrl(), subject: `${s}.in` });
    const event = conformanceEvent(1);
    await sink.send(event);
    await sink.send(event);
    await sink.send(conformanceEvent(2));
    const info = await (await nc.jetstreamManager()).streams.info(s);
    expect(info.state.messages).toBe(2);
    await sink.close();
  });
});

describe('nats core subject source (at most once)', () => {
  it('delivers what is published while it listens; nack does not redeliver', async () => {
    const subject = `core.${jetStreamName(uniqueName('s'))}`;
    const recorder = new DeliveryRecorder((d, r) => {
      if (r.received.length === 1) d.nack(new Error('ignored'));
      else d.ack();
    });
    const source = new NatsSubjectSource({ name: 'core', servers: services.natsUrl(), subject });
    await source.start(recorder.handler);
    const sink = new NatsSink({ name: 'core-sink', servers: services.natsUrl(), subject, jetstream: false });
    try {
      const events = [1, 2, 3].map((n) => conformanceEvent(n));
      for (const e of events) await sink.send(e);
      await recorder.waitForIds(events.map((e) => String(e.attributes.id)));
      await sleep(300);
      expect(recorder.received.length).toBe(3);
      await waitUntil('status names the nack', () => /1 nacked/.test(source.status().reason ?? ''));
    } finally {
      await source.stop();
      await sink.close();
    }
  });
});
