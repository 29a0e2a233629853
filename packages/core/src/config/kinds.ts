/** Every kind meshgate loads, by name, with its accepted apiVersions and schema. */
import type { z } from 'zod';
import {
  brokerSchema,
  EVENTING_V1,
  EVENTING_V1ALPHA1,
  kafkaSinkSchema,
  kafkaSourceSchema,
  SOURCES_V1,
  SOURCES_V1BETA1,
  triggerSchema,
} from './knative.js';
import {
  bridgeSchema,
  connectionSchema,
  gatewaySchema,
  MESHGATE_V1ALPHA1,
  natsSinkSchema,
  natsSourceSchema,
  peerSchema,
  pubsubSinkSchema,
  pubsubSourceSchema,
  rabbitmqSinkSchema,
  rabbitmqSourceSchema,
} from './meshgate.js';

export interface KindDefinition {
  apiVersions: readonly string[];
  schema: z.ZodType;
}

export const KINDS = {
  Broker: { apiVersions: [EVENTING_V1], schema: brokerSchema },
  Trigger: { apiVersions: [EVENTING_V1], schema: triggerSchema },
  KafkaSource: { apiVersions: [SOURCES_V1, SOURCES_V1BETA1], schema: kafkaSourceSchema },
  KafkaSink: { apiVersions: [EVENTING_V1ALPHA1], schema: kafkaSinkSchema },
  Connection: { apiVersions: [MESHGATE_V1ALPHA1], schema: connectionSchema },
  Gateway: { apiVersions: [MESHGATE_V1ALPHA1], schema: gatewaySchema },
  RabbitmqSource: { apiVersions: [MESHGATE_V1ALPHA1], schema: rabbitmqSourceSchema },
  NatsSource: { apiVersions: [MESHGATE_V1ALPHA1], schema: natsSourceSchema },
  PubSubSource: { apiVersions: [MESHGATE_V1ALPHA1], schema: pubsubSourceSchema },
  RabbitmqSink: { apiVersions: [MESHGATE_V1ALPHA1], schema: rabbitmqSinkSchema },
  NatsSink: { apiVersions: [MESHGATE_V1ALPHA1], schema: natsSinkSchema },
  PubSubSink: { apiVersions: [MESHGATE_V1ALPHA1], schema: pubsubSinkSchema },
  Peer: { apiVersions: [MESHGATE_V1ALPHA1], schema: peerSchema },
  Bridge: { apiVersions: [MESHGATE_V1ALPHA1], schema: bridgeSchema },
} as const satisfies Record<string, KindDefinition>;

export type KindName = keyof typeof KINDS;
export const KIND_NAMES = Object.keys(KINDS) as KindName[];

/** Kinds a Destination `ref` may point at inside meshgate (Addressables). */
export const ADDRESSABLE_KINDS = ['Broker', 'KafkaSink', 'RabbitmqSink', 'NatsSink', 'PubSubSink'] as const;
export type AddressableKind = (typeof ADDRESSABLE_KINDS)[number];

export function isKindName(kind: string): kind is KindName {
  return Object.hasOwn(KINDS, kind);
}
