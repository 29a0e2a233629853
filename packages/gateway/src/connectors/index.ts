/** Connectors in the gateway: Broker channels on Connections, served Sinks, running Sources. */
export {
  type ConnectorRuntimeOptions,
  createConnectorRuntime,
  type GatewayConnectorRuntime,
  type SinkInfo,
} from './runtime.js';
export { type SourceCounters, type SourceInfo, SourceRuntime } from './source-runtime.js';
export { SinkAddressable, type SinkCounters, sinkFailure } from './sinks.js';
export { defaultChannelName } from './channels.js';
export { registerConnectorMetrics } from './metrics.js';
