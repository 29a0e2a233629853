/**
 * Prometheus metrics of the connectors, read from the runtime's counters at scrape time (nothing
 * is counted twice, nothing costs on the delivery path).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { SinkInfo } from './runtime.js';
import type { SourceInfo } from './source-runtime.js';

const STATES = ['starting', 'ready', 'degraded', 'stopped'] as const;

/** Registers `meshgate_source_events_total`, `meshgate_sink_events_total` and the component states. */
export function registerConnectorMetrics(
  registry: Registry,
  list: () => { sources: SourceInfo[]; sinks: SinkInfo[] },
): void {
  new Counter({
    name: 'meshgate_source_events_total',
    help: 'Events handed out by each Source or Bridge, by outcome (received, delivered, dead_lettered, failed: nacked to come again, dropped; filtered: a Bridge filter did not match).',
    labelNames: ['source', 'outcome'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of list().sources) {
        const c = s.counters;
        this.inc({ source: s.key, outcome: 'received' }, c.received);
        this.inc({ source: s.key, outcome: 'delivered' }, c.delivered);
        this.inc({ source: s.key, outcome: 'dead_lettered' }, c.deadLettered);
        this.inc({ source: s.key, outcome: 'failed' }, c.failed);
        this.inc({ source: s.key, outcome: 'dropped' }, c.dropped);
        if (c.filtered !== undefined) this.inc({ source: s.key, outcome: 'filtered' }, c.filtered);
      }
    },
  });
  new Counter({
    name: 'meshgate_sink_events_total',
    help: 'Events offered to each Sink, by outcome (accepted: durable in the middleware; failed).',
    labelNames: ['sink', 'outcome'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of list().sinks) {
        this.inc({ sink: s.key, outcome: 'accepted' }, s.counters.accepted);
        this.inc({ sink: s.key, outcome: 'failed' }, s.counters.failed);
      }
    },
  });
  new Gauge({
    name: 'meshgate_source_backlog',
    help: 'Events waiting in the middleware for each Source: Kafka consumer lag (as of the last fetch), RabbitMQ queue depth plus un-acked, JetStream pending; absent where the middleware does not tell (Pub/Sub, core NATS).',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of list().sources) if (s.backlog !== undefined) this.set({ source: s.key }, s.backlog);
    },
  });
  new Gauge({
    name: 'meshgate_connector_state',
    help: '1 for the state each Source and Sink is in (starting, ready, degraded, stopped).',
    labelNames: ['component', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      const { sources, sinks } = list();
      for (const c of [
        ...sources.map((s) => ({ name: `source ${s.key}`, st: s.status })),
        ...sinks.map((s) => ({ name: `sink ${s.key}`, st: s.status })),
      ]) {
        for (const state of STATES) this.set({ component: c.name, state }, c.st.state === state ? 1 : 0);
      }
    },
  });
}
