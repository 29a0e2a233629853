/**
 * One gateway's federation state in one object: its interest table, the dedup window of its
 * peer endpoint and its forwarder. The gateway wires it to HTTP (peer endpoints, announcements)
 * and to its Brokers' channels; everything here is transport-free.
 *
 * The flow for a federated Broker:
 * 1. Triggers change → `table.setLocalInterest(...)`; when it returns true, send
 *    `table.buildAnnouncement(peer)` to every peer. Announcements received from a peer go to
 *    `table.applyAnnouncement(body, peer)`; when `changed`, announce again to the other peers.
 * 2. An event arrives from a peer on `POST /<ns>/<broker>` of the peer endpoint →
 *    `admit(key, event)`. On `accept`, ingest it into the Broker as it is (on failure:
 *    `release(key, event)` and answer the error, so the peer retries); on `not-federated`
 *    answer 404; otherwise answer 202 and drop it.
 * 3. An event published here any other way (ingress, Source, reply) enters the Broker without
 *    `meshgatetargets` (`withoutTargets`), so that it is routed as published here; its route and
 *    hop count stay, bounding loops that leave the federation and come back.
 * 4. A forwarding subscription on the Broker's channel (like a Trigger with no filter) calls
 *    `forward(key, event)` for every event, local or from a peer, and acks when `ok`, nacks
 *    when `retriable`.
 */
import { DedupWindow, type DedupWindowOptions } from './dedup-window.js';
import {
  type ForwardOptions,
  type ForwardResult,
  PeerForwarder,
  type PeerForwarderOptions,
} from './forwarder.js';
import { InterestTable, type InterestTableOptions } from './interest-table.js';
import { hopCount, visited } from './route.js';
import type { MeshEvent } from '../event/mesh-event.js';

/**
 * What to do with an event a peer sent:
 * - `accept`: new here; ingest it (its key is now in the dedup window).
 * - `duplicate`: already accepted within the dedup window; answer 202 and drop it.
 * - `loop`: this gateway is already on its route; answer 202 and drop it.
 * - `hop-limit`: it has crossed more than `maxHops` links; answer 202 and drop it.
 * - `not-federated`: the Broker is not federated here; answer 404.
 */
export type AdmitVerdict = 'accept' | 'duplicate' | 'loop' | 'hop-limit' | 'not-federated';

export interface FederationNodeOptions extends InterestTableOptions, Omit<PeerForwarderOptions, 'table'> {
  dedup?: DedupWindowOptions;
}

export class FederationNode {
  readonly gatewayId: string;
  readonly table: InterestTable;
  readonly dedup: DedupWindow;
  readonly forwarder: PeerForwarder;
  /** Events from peers, by verdict. */
  readonly received: Record<AdmitVerdict, number> = {
    accept: 0,
    duplicate: 0,
    loop: 0,
    'hop-limit': 0,
    'not-federated': 0,
  };

  constructor(options: FederationNodeOptions) {
    const { dedup, sender, policy, peers, mode, clock, tracer, ...tableOptions } = options;
    this.table = new InterestTable(tableOptions);
    this.gatewayId = this.table.gatewayId;
    this.dedup = new DedupWindow(dedup);
    this.forwarder = new PeerForwarder({
      table: this.table,
      sender,
      policy,
      ...(peers !== undefined && { peers }),
      ...(mode !== undefined && { mode }),
      ...(clock !== undefined && { clock }),
      ...(tracer !== undefined && { tracer }),
    });
  }

  /** Decides about an event received from a peer for Broker `key` (see AdmitVerdict). */
  admit(key: string, event: MeshEvent): AdmitVerdict {
    const verdict = this.#verdict(key, event);
    this.received[verdict]++;
    return verdict;
  }

  /** Undoes `admit`'s record when the accepted event could not be ingested, so a retry is not a duplicate. */
  release(key: string, event: MeshEvent): void {
    this.dedup.forget(event, key);
  }

  /** Forwards one event of Broker `key` to the peers that lead to interested gateways. */
  forward(key: string, event: MeshEvent, options?: ForwardOptions): Promise<ForwardResult> {
    return this.forwarder.forward(key, event, options);
  }

  #verdict(key: string, event: MeshEvent): AdmitVerdict {
    if (!this.table.isFederated(key)) return 'not-federated';
    if (visited(event).includes(this.gatewayId)) return 'loop';
    if (hopCount(event) > this.table.maxHops) return 'hop-limit';
    return this.dedup.seen(event, key) ? 'duplicate' : 'accept';
  }
}
