import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerConnectorMetrics } from './metrics.js';

describe('connector metrics', () => {
  it('exposes the current counters and states at scrape time', async () => {
    const registry = new Registry();
    let delivered = 1;
    registerConnectorMetrics(registry, () => ({
      sources: [
        {
          key: 'KafkaSource shop/in',
          kind: 'KafkaSource',
          sink: 'http://x/',
          status: { state: 'degraded', reason: 'broker away' },
          counters: { received: 5, delivered, deadLettered: 1, failed: 2, dropped: 0, inFlight: 1 },
          backlog: 12,
        },
        {
          key: 'Bridge shop/b',
          kind: 'Bridge',
          sink: 'http://x/',
          status: { state: 'ready' },
          counters: {
            received: 3,
            delivered: 1,
            deadLettered: 0,
            failed: 0,
            dropped: 0,
            inFlight: 0,
            filtered: 2,
          },
        },
      ],
      sinks: [
        {
          key: 'shop/out',
          kind: 'KafkaSink',
          status: { state: 'ready' },
          counters: { accepted: 7, failed: 1 },
        },
      ],
    }));
    let text = await registry.metrics();
    expect(text).toContain(
      'meshgate_source_events_total{source="KafkaSource shop/in",outcome="delivered"} 1',
    );
    expect(text).toContain('meshgate_source_events_total{source="KafkaSource shop/in",outcome="failed"} 2');
    expect(text).toContain('meshgate_sink_events_total{sink="shop/out",outcome="accepted"} 7');
    expect(text).toContain('meshgate_source_backlog{source="KafkaSource shop/in"} 12');
    expect(text).not.toContain('meshgate_source_backlog{source="Bridge shop/b"}'); // unknown: absent
    expect(text).toContain('meshgate_source_events_total{source="Bridge shop/b",outcome="filtered"} 2');
    expect(text).toContain(
      'meshgate_connector_state{component="source KafkaSource shop/in",state="degraded"} 1',
    );
    expect(text).toContain('meshgate_connector_state{component="sink shop/out",state="degraded"} 0');
    delivered = 4;
    text = await registry.metrics();
    expect(text).toContain(
      'meshgate_source_events_total{source="KafkaSource shop/in",outcome="delivered"} 4',
    );
  });
});
