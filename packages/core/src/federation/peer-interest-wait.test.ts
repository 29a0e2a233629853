import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PeerInterestWait } from './peer-interest-wait.js';

describe('PeerInterestWait', () => {
  const heardFrom = new Set<string>();
  const gaveUp: string[] = [];
  const make = (waitMs = 1_000) =>
    new PeerInterestWait({ heard: (p) => heardFrom.has(p), waitMs, onGiveUp: (p) => gaveUp.push(p) });
  const settled = async (p: Promise<void> | undefined) => {
    let done = false;
    void p?.then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    return p === undefined || done;
  };

  beforeEach(() => {
    vi.useFakeTimers();
    heardFrom.clear();
    gaveUp.length = 0;
  });
  afterEach(() => vi.useRealTimers());

  it('lets forwarding go at once without peers, and once every peer has announced', async () => {
    const wait = make();
    expect(wait.ready()).toBeUndefined();
    wait.setPeers(['b', 'c']);
    const waiting = wait.ready();
    expect(wait.waitingFor()).toEqual(['b', 'c']);
    heardFrom.add('b');
    wait.heard();
    expect(await settled(waiting)).toBe(false);
    expect(wait.waitingFor()).toEqual(['c']);
    heardFrom.add('c');
    wait.heard();
    expect(await settled(waiting)).toBe(true);
    expect(wait.ready()).toBeUndefined();
    expect(gaveUp).toEqual([]);
  });

  it('gives up on a silent peer when its wait runs out, says so once, and goes on', async () => {
    const wait = make(1_000);
    wait.setPeers(['b']);
    const waiting = wait.ready();
    await vi.advanceTimersByTimeAsync(999);
    expect(await settled(waiting)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(waiting)).toBe(true);
    expect(gaveUp).toEqual(['b']);
    expect(wait.ready()).toBeUndefined();
    // A later announcement changes nothing here; the table now has its interest.
    heardFrom.add('b');
    wait.heard();
    expect(gaveUp).toEqual(['b']);
  });

  it('a peer added later gets its own wait; one already heard does not hold anything', async () => {
    const wait = make(1_000);
    heardFrom.add('b');
    wait.setPeers(['b']);
    expect(wait.ready()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(5_000);
    wait.setPeers(['b', 'c']);
    const waiting = wait.ready();
    expect(wait.waitingFor()).toEqual(['c']);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await settled(waiting)).toBe(true);
    expect(gaveUp).toEqual(['c']);
  });

  it('removing the peer it waits for ends the wait', async () => {
    const wait = make(60_000);
    wait.setPeers(['b']);
    const waiting = wait.ready();
    wait.setPeers([]);
    expect(await settled(waiting)).toBe(true);
    expect(gaveUp).toEqual([]);
  });

  it('release lets every waiting delivery go (shutdown)', async () => {
    const wait = make(60_000);
    wait.setPeers(['b']);
    const waiting = [wait.ready(), wait.ready()];
    wait.release();
    for (const w of waiting) expect(await settled(w)).toBe(true);
    expect(wait.ready()).toBeUndefined();
  });
});
