/** Trigger filters (Knative attributes, Subscriptions API, CESQL) and the routing index over them. */
export type {
  CompiledFilter,
  FilterResult,
  SubscriptionsApiFilter,
  TriggerFilterSpec,
} from './types.js';
export { compileFilter } from './compile.js';
export { filterToJSON } from './json.js';
export { TriggerIndex } from './trigger-index.js';
