// KafkaChannel on the real broker: one consumer group per Trigger, each with its own progress.
import type { Delivery } from '@meshgate/core';
import { makeEvent } from '@meshgate/core';
import { afterAll, describe, expect, it } from 'vitest';
import { sleep, waitUntil } from '../../../test/support/connector-conformance.js';
import { uniqueName } from '../../../test/support/services.js';
import { KafkaChannel } from '../src/channel.js';
import { committedOffsets, deleteTopics, testClient } from './helpers.js';

const client = testClient('channel-test');
const topics: string[] = [];

const event = (n: number) =>
  makeEvent(
    { specversion: '1.0', id: `c-${n}`, source: '/channel-test', type: 'test.channel' },
    `{"n":${n}}`,
  );

afterAll(async () => {
  await deleteTopics(topics);
});

describe('KafkaChannel (real broker)', () => {
  it('two subscriptions progress independently, each in its own consumer group', async () => {
    const topic = uniqueName('broker');
    topics.push(topic);
    const prefix = uniqueName('mg');
    const channel = new KafkaChannel({ name: 'default/test', client, topic, groupPrefix: prefix });
    try {
      const fast: Delivery[] = [];
      const slow: Delivery[] = [];
      const a = await channel.subscribe({ name: 'fast', maxInFlight: 50 }, (d) => {
        fast.push(d);
        d.ack();
      });
      const b = await channel.subscribe({ name: 'slow', maxInFlight: 5 }, (d) => slow.push(d));
      for (let i = 0; i < 20; i++) await channel.publish(event(i));
      await waitUntil('fast got all 20', () => fast.length === 20);
      await waitUntil('slow got its window of 5', () => slow.length === 5);
      await sleep(200);
      expect(slow).toHaveLength(5);
      // The fast group committed everything; the slow group nothing yet.
      let fastCommitted = -1;
      const deadline = Date.now() + 10_000;
      while (fastCommitted !== 20 && Date.now() < deadline) {
        fastCommitted = (await committedOffsets(`${prefix}.fast`, topic)).get(0) ?? -1;
        await sleep(100);
      }
      expect(fastCommitted).toBe(20);
      // The new group was pinned at "now" (offset 0 of the empty topic) when it subscribed.
      expect((await committedOffsets(`${prefix}.slow`, topic)).get(0)).toBe(0);
      expect(b.backlog()).toBeGreaterThanOrEqual(5);
      for (const d of slow.splice(0)) d.ack();
      await waitUntil('slow caught up', () => {
        for (const d of slow.splice(0)) d.ack();
        return b.backlog() === 0;
      });
      await a.close();
      await b.close();
    } finally {
      await channel.close();
    }
    expect(channel.status().state).toBe('stopped');
  });

  it('a subscription created later starts from now unless it asks for earliest', async () => {
    const topic = uniqueName('broker');
    topics.push(topic);
    const channel = new KafkaChannel({ name: 'default/later', client, topic, groupPrefix: uniqueName('mg') });
    try {
      for (let i = 0; i < 3; i++) await channel.publish(event(i));
      const late: string[] = [];
      const early: string[] = [];
      await channel.subscribe({ name: 'late', maxInFlight: 10 }, (d) => {
        late.push(String(d.event.attributes.id));
        d.ack();
      });
      await channel.subscribe({ name: 'early', maxInFlight: 10, startFrom: 'earliest' }, (d) => {
        early.push(String(d.event.attributes.id));
        d.ack();
      });
      await channel.publish(event(3));
      await waitUntil('both got the new event', () => late.includes('c-3') && early.includes('c-3'));
      expect(late).toEqual(['c-3']);
      expect(early).toEqual(['c-0', 'c-1', 'c-2', 'c-3']);
    } finally {
      await channel.close();
    }
  });
});
