import type { MeshEvent } from '../event/mesh-event.js';

/**
 * One filter of Knative's Subscriptions API (`spec.filters[]`). Exactly one dialect may be set.
 *
 * @see https://github.com/cloudevents/spec/blob/main/subscriptions/spec.md#3241-filter-dialects
 * @see https://knative.dev/docs/eventing/triggers/#trigger-filtering
 */
export interface SubscriptionsApiFilter {
  /** Exactly one `attribute: value`; passes when the attribute's value equals `value` (case-sensitive). */
  exact?: Record<string, string>;
  /** Exactly one `attribute: value`; passes when the attribute's value starts with `value`. */
  prefix?: Record<string, string>;
  /** Exactly one `attribute: value`; passes when the attribute's value ends with `value`. */
  suffix?: Record<string, string>;
  /** Passes when no child fails and at least one passes; no opinion when all children have none. */
  all?: SubscriptionsApiFilter[];
  /** Passes when one child passes; no opinion when all children have none. */
  any?: SubscriptionsApiFilter[];
  /** Inverts pass and fail; no opinion stays no opinion. */
  not?: SubscriptionsApiFilter;
  /** A CloudEvents SQL v1 boolean expression. */
  cesql?: string;
}

/** The filtering part of a Trigger's spec, as written in a Knative `eventing.knative.dev/v1` Trigger. */
export interface TriggerFilterSpec {
  /** Knative's original filter: exact, case-sensitive matches; an empty value means "present and non-empty". */
  filter?: { attributes?: Record<string, string> };
  /** Subscriptions API filters, AND-ed together. When non-empty, `filter` is ignored. */
  filters?: SubscriptionsApiFilter[];
}

/**
 * Knative's tri-state filter outcome. `no-filter` ("no opinion") comes from an empty filter and
 * propagates through `all`, `any` and `not`; a Trigger delivers on `pass` and on `no-filter`.
 */
export type FilterResult = 'pass' | 'fail' | 'no-filter';

/** A Trigger filter compiled once (CESQL parsed, attribute names validated), evaluated per event. */
export interface CompiledFilter {
  evaluate(event: MeshEvent): FilterResult;
  /** True when the Trigger should get the event: `evaluate` gave `pass` or `no-filter`. */
  matches(event: MeshEvent): boolean;
  /** The spec this filter was compiled from (a frozen, JSON-safe copy). */
  readonly spec: TriggerFilterSpec;
}
