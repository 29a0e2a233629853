import {
  type AddressableSender,
  makeEvent,
  type MeshEvent,
  NotConnectedError,
  OverloadedError,
  type SendRequest,
} from '@meshgate/core';
import { describe, expect, it } from 'vitest';
import type { Addressable } from './http/addressables.js';
import { LocalFirstSender } from './local-sender.js';

const event = makeEvent({ specversion: '1.0', id: 'e1', source: '/test', type: 't' }, undefined);

/** A sink-shaped Addressable that records what it accepts, or fails with the given error. */
function sink(key: string, failWith?: Error): Addressable & { got: MeshEvent[] } {
  const got: MeshEvent[] = [];
  return {
    kind: 'sink',
    key,
    maxBodyBytes: 1 << 20,
    got,
    accept: async (events) => {
      if (failWith) throw failWith;
      got.push(...events);
    },
  };
}

function setup(addressables: Map<string, Addressable>) {
  const remote: SendRequest[] = [];
  const http: AddressableSender = {
    send: async (r) => {
      remote.push(r);
      return { status: 202, headers: {} };
    },
  };
  const sender = new LocalFirstSender(http, {
    addressable: (ns, name) => addressables.get(`${ns}/${name}`),
  });
  sender.setSelfUrl('http://127.0.0.1:8080');
  return { sender, remote };
}

describe('LocalFirstSender', () => {
  it('serves /<namespace>/<name> under its own origin in-process, names decoded', async () => {
    const out = sink('shop/audit log');
    const { sender, remote } = setup(new Map([['shop/audit log', out]]));
    const r = await sender.send({ url: 'http://127.0.0.1:8080/shop/audit%20log', event });
    expect(r.status).toBe(202);
    expect(out.got).toEqual([event]);
    expect(remote).toEqual([]);
  });

  it('sends other origins, other path shapes and unknown names over HTTP', async () => {
    const { sender, remote } = setup(new Map([['shop/audit', sink('shop/audit')]]));
    for (const url of [
      'http://10.0.0.9:8080/shop/audit',
      'http://127.0.0.1:8080/shop/audit/extra',
      'http://127.0.0.1:8080/shop/nobody',
    ]) {
      await sender.send({ url, event });
    }
    expect(remote.map((r) => r.url)).toEqual([
      'http://10.0.0.9:8080/shop/audit',
      'http://127.0.0.1:8080/shop/audit/extra',
      'http://127.0.0.1:8080/shop/nobody',
    ]);
  });

  it('answers as the HTTP ingress would when the Addressable refuses', async () => {
    const { sender } = setup(
      new Map<string, Addressable>([
        ['shop/busy', sink('shop/busy', new OverloadedError('queue full', 2))],
        ['shop/down', sink('shop/down', new NotConnectedError('broker unreachable'))],
      ]),
    );
    const busy = await sender.send({ url: 'http://127.0.0.1:8080/shop/busy', event });
    expect(busy.status).toBe(429);
    const down = await sender.send({ url: 'http://127.0.0.1:8080/shop/down', event });
    expect(down.status).toBe(503);
    expect(String(down.body)).toContain('broker unreachable');
  });

  it('looks the Addressable up on every send: a reload that replaces or removes it is seen', async () => {
    const addressables = new Map<string, Addressable>();
    const first = sink('shop/audit');
    addressables.set('shop/audit', first);
    const { sender, remote } = setup(addressables);
    const url = 'http://127.0.0.1:8080/shop/audit';
    await sender.send({ url, event });
    const second = sink('shop/audit');
    addressables.set('shop/audit', second);
    await sender.send({ url, event });
    addressables.delete('shop/audit');
    await sender.send({ url, event });
    expect([first.got.length, second.got.length, remote.length]).toEqual([1, 1, 1]);
  });

  it('rejects a malformed URL under its own origin, every time it is sent', async () => {
    const { sender } = setup(new Map());
    const url = 'http://127.0.0.1:8080/shop/%E0%A4%A';
    await expect(sender.send({ url, event })).rejects.toThrow(URIError);
    await expect(sender.send({ url, event })).rejects.toThrow(URIError);
  });
});
