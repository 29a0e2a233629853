/**
 * What one gateway node runs, resolved from configuration: plain data the Gateway applies.
 * Built from the loaded YAML by `model-from-config.ts`.
 */
import type { BrokerDefinition, TriggerDefinition } from '@meshgate/core';
import type { PeerTls } from './outgoing-http.js';

export interface GatewayModel {
  /** This node's id (federation routes carry it). */
  id: string;
  http: { host: string; port: number };
  brokers: BrokerDefinition[];
  triggers: TriggerDefinition[];
  /** Kyma legacy ingress target broker, when configured. */
  kyma?: { namespace: string; broker: string };
  /** Peers and federated Brokers; absent when this gateway federates nothing. */
  federation?: FederationModel;
}

export interface FederationModel {
  /** This gateway's id: what peers call it (their Peer's metadata.name). */
  id: string;
  /** `tls`: the Peer's `spec.tls` (https peers only): the CA to trust, the client certificate. */
  peers: { id: string; url: string; token?: string; tls?: PeerTls }[];
  /** `<namespace>/<name>` of the Brokers shared with the peers. */
  brokers: string[];
  /** Gateway `spec.federation`, read when federation starts (a reload does not change them). */
  settings?: {
    maxHops: number;
    interestRouting: boolean;
    /** How long forwarding waits for a peer's first announcement. */
    peerInterestWaitMs: number;
    dedupWindowMs: number;
    dedupMaxEntries: number;
  };
}
