/**
 * Prometheus metrics of the peer links, read from the federation's counters at scrape time
 * (nothing on the forwarding path).
 */
import { Counter, type Registry } from 'prom-client';
import type { Federation } from './federation.js';

export function registerFederationMetrics(
  registry: Registry,
  federation: () => Federation | undefined,
): void {
  new Counter({
    name: 'meshgate_peer_events_total',
    help: 'Events per peer link: forwarded, filtered_out (no interest beyond the link), looped (refused by the route), failed',
    labelNames: ['peer', 'outcome'],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of federation()?.peers() ?? []) {
        const c = p.counters;
        this.inc({ peer: p.id, outcome: 'forwarded' }, c.forwarded);
        this.inc({ peer: p.id, outcome: 'filtered_out' }, c.filteredOut);
        this.inc({ peer: p.id, outcome: 'looped' }, c.looped);
        this.inc({ peer: p.id, outcome: 'failed' }, c.failed);
      }
    },
  });
  new Counter({
    name: 'meshgate_peer_bytes_total',
    help: 'Approximate bytes (attributes and data) of the events forwarded over each peer link',
    labelNames: ['peer'],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of federation()?.peers() ?? []) this.inc({ peer: p.id }, p.counters.bytes);
    },
  });
  new Counter({
    name: 'meshgate_peer_received_total',
    help: 'Events received from peers, by verdict: accept, duplicate (dropped by the dedup window), loop, hop-limit, not-federated',
    labelNames: ['verdict'],
    registers: [registry],
    collect() {
      this.reset();
      const received = federation()?.node.received;
      if (received) for (const [verdict, n] of Object.entries(received)) this.inc({ verdict }, n);
    },
  });
}
