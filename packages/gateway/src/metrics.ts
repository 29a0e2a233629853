/**
 * Prometheus metrics (prom-client) fed by the router's observer hooks. Names follow the
 * Prometheus conventions: `meshgate_` prefix, `_total` counters, base units (seconds).
 */
import type { Router, RouterObserver } from '@meshgate/core';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface GatewayMetrics {
  registry: Registry;
  observer: RouterObserver;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createMetrics(router: () => Router | undefined): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'meshgate_process_' });

  const received = new Counter({
    name: 'meshgate_broker_events_received_total',
    help: 'Events accepted into a Broker',
    labelNames: ['broker'],
    registers: [registry],
  });
  const rejected = new Counter({
    name: 'meshgate_broker_events_rejected_total',
    help: 'Events or requests refused at ingress, by reason',
    labelNames: ['broker', 'reason'],
    registers: [registry],
  });
  const outcomes = new Counter({
    name: 'meshgate_trigger_events_total',
    help: 'How deliveries for a Trigger ended: delivered, dead-lettered, failed (nacked), dropped',
    labelNames: ['trigger', 'outcome'],
    registers: [registry],
  });
  // Histograms are labelled by Broker, not Trigger: 15 buckets per Trigger would make 10,000
  // Triggers hundreds of thousands of series (memory, and a /metrics page too large to scrape).
  const attempts = new Histogram({
    name: 'meshgate_broker_delivery_attempt_duration_seconds',
    help: "Duration of one HTTP delivery attempt to a subscriber of the Broker's Triggers, by response class",
    labelNames: ['broker', 'response'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const retries = new Counter({
    name: 'meshgate_trigger_retries_total',
    help: 'Delivery retries',
    labelNames: ['trigger'],
    registers: [registry],
  });
  const endToEnd = new Histogram({
    name: 'meshgate_broker_event_latency_seconds',
    help: 'Time from Broker ingress to the end of an event delivery for one of its Triggers',
    labelNames: ['broker', 'outcome'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  new Gauge({
    name: 'meshgate_trigger_in_flight',
    help: 'Deliveries in progress per Trigger',
    labelNames: ['trigger'],
    registers: [registry],
    collect() {
      this.reset();
      for (const t of router()?.listTriggers() ?? []) this.set({ trigger: t.key }, t.counters.inFlight);
    },
  });
  new Gauge({
    name: 'meshgate_trigger_backlog',
    help: 'Events waiting for a Trigger (memory queue depth, consumer lag) where the channel can tell',
    labelNames: ['trigger'],
    registers: [registry],
    collect() {
      this.reset();
      for (const t of router()?.listTriggers() ?? []) {
        const backlog = t.subscription?.backlog();
        if (backlog !== undefined) this.set({ trigger: t.key }, backlog);
      }
    },
  });

  // A Trigger's Broker, for the per-Broker histograms (one map lookup in the router).
  const broker = (trigger: string): string => router()?.trigger(trigger)?.brokerKey ?? 'unknown';

  const observer: RouterObserver = {
    ingested: (broker, count) => received.inc({ broker }, count),
    rejected: (broker, reason, count) => rejected.inc({ broker, reason }, count),
    attempt: (trigger, status, durationMs) => {
      const response = status === undefined ? 'error' : `${Math.floor(status / 100)}xx`;
      attempts.observe({ broker: broker(trigger), response }, durationMs / 1000);
    },
    retried: (trigger) => retries.inc({ trigger }),
    outcome: (trigger, outcome, sinceArrivalMs) => {
      outcomes.inc({ trigger, outcome });
      if (sinceArrivalMs !== undefined)
        endToEnd.observe({ broker: broker(trigger), outcome }, Math.max(0, sinceArrivalMs) / 1000);
    },
  };
  return { registry, observer };
}
