/**
 * Configuration: YAML files of Kubernetes-style documents (Knative Broker, Trigger, KafkaSource,
 * KafkaSink and meshgate.io kinds), validated, cross-checked, secrets resolved, frozen.
 * See docs/configuration.md.
 */
// DeliverySpec and SubscriptionsApiFilter are exported by ../delivery and ../filter; the config
// schemas produce values of those shapes.
export { DEFAULT_NAMESPACE, type Destination, type KReference, type ResourceMetadata } from './common.js';
export { formatIssue } from './issues.js';
export { ADDRESSABLE_KINDS, type AddressableKind, KIND_NAMES, type KindName } from './kinds.js';
export {
  BROKER_DEFAULTS,
  type BrokerResource,
  type BrokerSettings,
  KAFKA_SINK_SECRET_KEYS,
  KAFKA_SOURCE_DEFAULTS,
  type KafkaNet,
  type KafkaSinkCredentials,
  type KafkaSinkResource,
  type KafkaSourceResource,
  type KafkaSourceSettings,
  TRIGGER_DEFAULTS,
  type TriggerResource,
  type TriggerSettings,
} from './knative.js';
export {
  buildConfig,
  type ConfigText,
  type LoadOptions,
  loadConfig,
  parseConfigText,
  readConfigTexts,
} from './load.js';
export { type GatewaySettings, type LoadedConfig, resourceKey } from './loaded-config.js';
export {
  type BridgeResource,
  CONNECTION_TYPES,
  type ConnectionResource,
  type ConnectionType,
  GATEWAY_DEFAULTS,
  type GatewayResource,
  type ListenerTlsSettings,
  type NatsSinkResource,
  type NatsSourceResource,
  type PeerResource,
  type PubSubSinkResource,
  type PubSubSourceResource,
  type RabbitmqSinkResource,
  type RabbitmqSourceResource,
  type SinkResource,
  type SourceResource,
  type TlsSettings,
} from './meshgate.js';
export { type ResolvedDestination, resolveDestination } from './resolve.js';
export type { Located, ResourceOrigin } from './resource.js';
export { describeSecretSource, type SecretSource, SecretValue, secretKeyRefEnvName } from './secrets.js';
export { type ConfigDiff, diffConfig, isEmptyDiff, type ResourceChanges } from './diff.js';
export { CONFIG_SCHEMA_ID, configJsonSchema } from './json-schema.js';
export { type ConfigWatcher, type WatchHandlers, type WatchOptions, watchConfig } from './watch.js';
