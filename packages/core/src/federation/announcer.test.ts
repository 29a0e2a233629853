import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InterestAnnouncement } from './announcement.js';
import { Announcer } from './announcer.js';
import { InterestTable } from './interest-table.js';

function setup(fail: (peer: string) => boolean = () => false) {
  const table = new InterestTable({ gatewayId: 'east' });
  table.setLocalInterest([{ namespace: 'default', name: 'orders', filters: [] }]);
  const sent: Array<{ peer: string; ann: InterestAnnouncement }> = [];
  const errors: string[] = [];
  const announcer = new Announcer({
    table,
    peers: ['west', 'north'],
    debounceMs: 100,
    refreshMs: 10_000,
    retryMs: 1_000,
    send: async (peer, ann) => {
      if (fail(peer)) throw new Error(`${peer} is down`);
      sent.push({ peer, ann });
    },
    onError: (peer) => errors.push(peer),
  });
  return { table, announcer, sent, errors };
}

const count = (sent: Array<{ peer: string }>, peer: string) => sent.filter((s) => s.peer === peer).length;

describe('Announcer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('announces at start, once per burst of changes, and on every refresh', async () => {
    const { table, announcer, sent } = setup();
    announcer.start();
    await announcer.flush();
    expect(sent.map((s) => s.peer).sort()).toEqual(['north', 'west']);

    for (let i = 0; i < 50; i++) {
      table.setLocalInterest([
        { namespace: 'default', name: 'orders', filters: [{ filter: { attributes: { type: `t${i}` } } }] },
      ]);
      announcer.changed();
    }
    await vi.advanceTimersByTimeAsync(99);
    expect(sent).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toHaveLength(4);
    // The announcement sent holds the last state.
    expect(sent[3]?.ann.brokers[0]?.gateways[0]?.filters).toEqual([
      { filter: { attributes: { type: 't49' } } },
    ]);

    await vi.advanceTimersByTimeAsync(10_000);
    expect(count(sent, 'west')).toBe(3);
    announcer.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(count(sent, 'west')).toBe(3);
  });

  it('retries a peer that did not take the announcement, without holding back the others', async () => {
    let westDown = true;
    const { announcer, sent, errors } = setup((peer) => peer === 'west' && westDown);
    announcer.start();
    await announcer.flush();
    expect(count(sent, 'north')).toBe(1);
    expect(errors).toEqual(['west']);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(errors).toEqual(['west', 'west']);
    westDown = false;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(count(sent, 'west')).toBe(1);
    expect(count(sent, 'north')).toBe(1);
    announcer.stop();
  });

  it('announces to a new peer at once and forgets a removed one', async () => {
    const { announcer, sent } = setup();
    announcer.start();
    await announcer.flush();
    announcer.setPeers(['west', 'south']);
    await announcer.flush();
    expect(count(sent, 'south')).toBe(1);
    announcer.changed();
    await announcer.flush();
    expect(count(sent, 'north')).toBe(1);
    expect(count(sent, 'west')).toBe(2);
    announcer.stop();
  });

  it('sends again when a change arrives while an announcement is on its way', async () => {
    const table = new InterestTable({ gatewayId: 'east' });
    const sent: number[] = [];
    let release: (() => void) | undefined;
    const announcer = new Announcer({
      table,
      peers: ['west'],
      send: (_peer, ann) => {
        sent.push(ann.version);
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      },
    });
    announcer.start();
    expect(sent).toEqual([1]);
    announcer.changed();
    await vi.advanceTimersByTimeAsync(500);
    expect(sent).toEqual([1]); // still waiting for the first
    release?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([1, 2]);
    release?.();
    announcer.stop();
  });
});
