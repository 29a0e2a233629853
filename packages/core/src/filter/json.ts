/**
 * A Trigger filter as plain JSON, for federation (a peer announces the filters it is interested
 * in) and for freezing a compiled filter's spec: only the fields meshgate understands, no
 * `undefined`, no shared references. `compileFilter(JSON.parse(JSON.stringify(filterToJSON(s))))`
 * behaves exactly like `compileFilter(s)`. A `null` field (JSON's way of leaving one out) is dropped.
 */
import type { SubscriptionsApiFilter, TriggerFilterSpec } from './types.js';

export function filterToJSON(spec: TriggerFilterSpec): TriggerFilterSpec {
  const out: TriggerFilterSpec = {};
  if (spec.filter != null) {
    out.filter = spec.filter.attributes == null ? {} : { attributes: { ...spec.filter.attributes } };
  }
  if (spec.filters != null) out.filters = spec.filters.map(subscriptionsFilterToJSON);
  return out;
}

function subscriptionsFilterToJSON(filter: SubscriptionsApiFilter): SubscriptionsApiFilter {
  const out: SubscriptionsApiFilter = {};
  if (filter.exact != null) out.exact = { ...filter.exact };
  if (filter.prefix != null) out.prefix = { ...filter.prefix };
  if (filter.suffix != null) out.suffix = { ...filter.suffix };
  if (filter.all != null) out.all = filter.all.map(subscriptionsFilterToJSON);
  if (filter.any != null) out.any = filter.any.map(subscriptionsFilterToJSON);
  if (filter.not != null) out.not = subscriptionsFilterToJSON(filter.not);
  if (filter.cesql != null) out.cesql = filter.cesql;
  return out;
}
