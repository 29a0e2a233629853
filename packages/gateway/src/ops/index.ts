/** Operability: admin API additions, live tail, recent dead letters, topology, tracing, `/ui`, CLI. */
export { installOps, type Ops, type OpsOptions } from './install.js';
export { DeadLetterLog, type DeadLetterEntry, type DeadLetterJson } from './dead-letters.js';
export { TailHub, TailClient, type TailOptions } from './live-tail.js';
export { RateTracker } from './rates.js';
export {
  buildTopology,
  type ConnectorsView,
  type PeerView,
  type Topology,
  type TopologyEdge,
  type TopologyInput,
  type TopologyNode,
} from './topology.js';
export { filtersFromQuery, readiness } from './routes.js';
export {
  createTracing,
  tracingFromEnv,
  OtelDeliveryTracer,
  parseTraceparent,
  formatTraceparent,
  type Tracing,
  type TracingOptions,
} from './tracing.js';
export { registerOpsCommands } from './cli-commands.js';
export { eventJson, type EventJson } from './event-json.js';
