import type { Router } from '@meshgate/core';
import { describe, expect, it } from 'vitest';
import { DeadLetterLog } from './dead-letters.js';
import { RateTracker } from './rates.js';
import { buildTopology, type ConnectorsView, type PeerView } from './topology.js';

const ready = { state: 'ready' as const };
const self = 'http://127.0.0.1:8080';

function fakeRouter(triggerCounters: { delivered: number; deadLettered: number }) {
  const broker = {
    key: 'shop/orders',
    definition: { namespace: 'shop', name: 'orders', channel: { kind: 'memory' } },
    channel: { kind: 'memory', durable: false, status: () => ready },
    counters: { received: 10, rejected: {} },
  };
  const trigger = (name: string, subscriberUrl: string, dls?: string) => ({
    key: `shop/${name}`,
    definition: {
      namespace: 'shop',
      name,
      broker: 'orders',
      filter: {},
      subscriberUrl,
      ...(dls && { delivery: { deadLetterSink: { uri: dls } } }),
    },
    counters: { received: 10, retried: 0, failed: 0, dropped: 0, inFlight: 0, ...triggerCounters },
    subscription: { backlog: () => 0 },
    lastError: undefined,
  });
  return {
    listBrokers: () => [broker],
    listTriggers: () => [
      trigger('to-sink', `${self}/shop/kafka-out`, 'http://dls.example:9000/dead'),
      trigger('outside', 'http://subscriber.example/hook'),
    ],
  } as unknown as Router;
}

const connectors: ConnectorsView = {
  list: () => ({
    sources: [
      {
        key: 'KafkaSource shop/from-kafka',
        kind: 'KafkaSource',
        sink: `http://localhost:8080/shop/orders`,
        status: { state: 'degraded', reason: 'broker down' } as never,
        counters: { delivered: 5, deadLettered: 0, failed: 0, dropped: 0 },
      },
    ],
    sinks: [
      { key: 'shop/kafka-out', kind: 'KafkaSink', status: ready, counters: { accepted: 3, failed: 0 } },
    ],
  }),
};

/** Gateway east, federating shop/orders with these peers, its Triggers and connectors as above. */
function eastTopology(peers: PeerView[]) {
  return buildTopology({
    router: fakeRouter({ delivered: 10, deadLettered: 0 }),
    model: {
      id: 'east',
      http: { host: '', port: 0 },
      brokers: [],
      triggers: [],
      federation: { id: 'east', peers: [], brokers: ['shop/orders'] },
    },
    deadLetters: new DeadLetterLog(),
    rates: new RateTracker(),
    windowSeconds: 5,
    peers,
    connectors,
    selfUrl: self,
  });
}

describe('buildTopology', () => {
  it('draws own Brokers and Sinks behind delivery URLs, sources, peers, and outside endpoints', () => {
    const topology = eastTopology([
      { id: 'west', url: 'http://west:8080', counters: { forwarded: 4, failed: 1 } },
    ]);
    const byId = new Map(topology.nodes.map((n) => [n.id, n]));
    // Node and edge ids share one space in the page's graph library.
    const ids = [...topology.nodes, ...topology.edges].map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...byId.keys()].sort()).toEqual(
      [
        'gateway',
        'broker:shop/orders',
        'trigger:shop/to-sink',
        'trigger:shop/outside',
        'sink:shop/kafka-out',
        'source:KafkaSource shop/from-kafka',
        'peer:west',
        'subscriber:http://subscriber.example/hook',
        'deadLetterSink:http://dls.example:9000/dead',
      ].sort(),
    );
    const edge = (id: string) => topology.edges.find((e) => e.id === id);
    expect(edge('delivery:shop/to-sink')?.target).toBe('sink:shop/kafka-out');
    expect(edge('source-delivery:KafkaSource shop/from-kafka')?.target).toBe('broker:shop/orders');
    expect(edge('dead-letter:shop/to-sink')?.target).toBe('deadLetterSink:http://dls.example:9000/dead');
    expect(byId.get('source:KafkaSource shop/from-kafka')).toMatchObject({
      state: 'error',
      reason: 'degraded: broker down',
    });
    expect(byId.get('peer:west')?.state).toBe('error');
    expect(byId.get('broker:shop/orders')?.details.federated).toBe(true);
    expect(byId.get('gateway')?.label).toBe('east');
  });

  it('marks a peer not heard from since start as a warning, saying what that means for forwarding', () => {
    const topology = eastTopology([
      { id: 'west', url: 'http://west:8080', interestKnown: false, counters: { forwarded: 0, failed: 0 } },
      { id: 'north', url: 'http://north:8080', interestKnown: true, counters: { forwarded: 0, failed: 0 } },
    ]);
    const byId = new Map(topology.nodes.map((n) => [n.id, n]));
    expect(byId.get('peer:west')?.state).toBe('warning');
    expect(byId.get('peer:west')?.reason).toMatch(/no interest announcement since this gateway started/);
    expect(byId.get('peer:north')).toMatchObject({ state: 'ok' });
    expect(byId.get('peer:north')?.reason).toBeUndefined();
  });

  it('turns counter growth into rates and marks a Trigger with dead letters as an error', () => {
    let now = 0;
    const rates = new RateTracker(5000, () => now);
    const input = { deadLetters: new DeadLetterLog(), rates, windowSeconds: 5, model: undefined };
    buildTopology({ ...input, router: fakeRouter({ delivered: 10, deadLettered: 0 }) });
    now = 2000;
    const t = buildTopology({ ...input, router: fakeRouter({ delivered: 30, deadLettered: 2 }) });
    expect(t.edges.find((e) => e.id === 'delivery:shop/outside')?.rate).toBe(10);
    expect(t.edges.find((e) => e.id === 'delivery:shop/outside')?.errorRate).toBe(1);
    expect(t.edges.find((e) => e.id === 'dead-letter:shop/to-sink')?.rate).toBe(1);
    expect(t.nodes.find((n) => n.id === 'trigger:shop/outside')?.state).toBe('error');
    // Without a self URL, a URL back to this gateway is just an endpoint.
    expect(t.edges.find((e) => e.id === 'delivery:shop/to-sink')?.target).toBe(
      'subscriber:http://127.0.0.1:8080/shop/kafka-out',
    );
  });
});
