/**
 * Turns a Trigger's filter spec into a {@link CompiledFilter}, once per Trigger: validates it as
 * Knative's webhook does (one dialect per filter, one attribute per `exact`/`prefix`/`suffix`,
 * attribute names `^[a-z][a-z0-9]*$`, CESQL that parses), then builds the tree of filter nodes.
 * Every problem found is reported at once in one {@link ConfigError}, each issue's `path`
 * pointing into the spec (e.g. `spec.filters[2].exact`).
 *
 * Unlike Knative, which skips a filter with an empty `exact` value at run time, such a filter is
 * a configuration error here: a silently ignored filter delivers events nobody asked for.
 *
 * @see https://github.com/knative/eventing/blob/main/pkg/apis/eventing/v1/trigger_validation.go
 * @see https://knative.dev/docs/eventing/triggers/#trigger-filtering
 */
import { ConfigError, type ConfigIssue } from '../errors.js';
import type { MeshEvent } from '../event/mesh-event.js';
import { AttributeMatchFilter, AttributesFilter } from './attribute-match.js';
import { compileCesqlFilter } from './cesql-filter.js';
import { type FilterNode, NO_FILTER } from './filter-node.js';
import { filterToJSON } from './json.js';
import { AllFilter, AnyFilter, NotFilter } from './logical.js';
import type { AtomKind, Requirement } from './requirement.js';
import type { CompiledFilter, FilterResult, TriggerFilterSpec } from './types.js';

/** Knative's rule for attribute names in filters (stricter than CloudEvents: starts with a letter). */
const ATTRIBUTE_NAME = /^[a-z][a-z0-9]*$/;
const DIALECTS = ['exact', 'prefix', 'suffix', 'all', 'any', 'not', 'cesql'] as const;

/**
 * Compiles a Trigger filter spec. `spec` may be the whole Trigger spec: only `filter` and `filters`
 * are read. `path` is where the spec sits in its document, used in error paths (default `spec`).
 *
 * @throws ConfigError listing every problem found, each with the path of the offending field.
 */
export function compileFilter(spec: TriggerFilterSpec, path = 'spec'): CompiledFilter {
  const issues: ConfigIssue[] = [];
  const root = compileSpec(spec as unknown, path, issues);
  if (issues.length > 0 || root === undefined) {
    const detail = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid Trigger filter: ${detail}`, issues);
  }
  return new TriggerFilter(deepFreeze(filterToJSON(spec)), root);
}

/** The compiled filter of one Trigger; its root node's requirement feeds the TriggerIndex. */
export class TriggerFilter implements CompiledFilter {
  constructor(
    readonly spec: TriggerFilterSpec,
    readonly root: FilterNode,
  ) {}

  get requirement(): Requirement {
    return this.root.requirement;
  }

  evaluate(event: MeshEvent): FilterResult {
    return this.root.evaluate(event);
  }

  matches(event: MeshEvent): boolean {
    return this.root.evaluate(event) !== 'fail';
  }
}

function compileSpec(spec: unknown, path: string, issues: ConfigIssue[]): FilterNode | undefined {
  if (!isPlainObject(spec)) {
    issues.push({ path, message: `must be an object, got ${describe(spec)}` });
    return undefined;
  }
  // Knative validates both, and uses `filters` whenever it has entries. A null field counts as absent.
  const attributes =
    spec.filter == null ? undefined : compileAttributes(spec.filter, `${path}.filter`, issues);
  const filters = spec.filters == null ? undefined : compileList(spec.filters, `${path}.filters`, issues);
  if (Array.isArray(spec.filters) && spec.filters.length > 0) {
    // The top-level list is an `all`; when every entry was empty (`{}`) it has no opinion.
    if (filters === undefined || filters.length === 0) return NO_FILTER;
    return filters.length === 1 ? filters[0] : new AllFilter(filters);
  }
  return attributes ?? NO_FILTER;
}

function compileAttributes(filter: unknown, path: string, issues: ConfigIssue[]): FilterNode | undefined {
  if (!isPlainObject(filter)) {
    issues.push({ path, message: `must be an object, got ${describe(filter)}` });
    return undefined;
  }
  unknownFields(filter, ['attributes'], path, issues);
  if (filter.attributes == null) return new AttributesFilter({});
  const attributes = stringMap(filter.attributes, `${path}.attributes`, issues, true);
  return attributes === undefined ? undefined : new AttributesFilter(attributes);
}

/** Compiles a list of filters; empty filters (`{}`) are dropped, as Knative drops them. */
function compileList(list: unknown, path: string, issues: ConfigIssue[]): FilterNode[] | undefined {
  if (!Array.isArray(list)) {
    issues.push({ path, message: `must be a list of filters, got ${describe(list)}` });
    return undefined;
  }
  const nodes: FilterNode[] = [];
  list.forEach((item, i) => {
    const node = compileOne(item, `${path}[${i}]`, issues);
    if (node !== undefined) nodes.push(node);
  });
  return nodes;
}

/** One Subscriptions API filter; undefined when it is empty or invalid (the latter adds issues). */
function compileOne(filter: unknown, path: string, issues: ConfigIssue[]): FilterNode | undefined {
  if (!isPlainObject(filter)) {
    issues.push({
      path,
      message: `must be an object with one of ${DIALECTS.join(', ')}, got ${describe(filter)}`,
    });
    return undefined;
  }
  unknownFields(filter, DIALECTS, path, issues);
  const set = DIALECTS.filter((d) => isSet(d, filter[d]));
  if (set.length > 1) {
    issues.push({ path, message: `multiple dialects found (${set.join(', ')}); a filter can have only one` });
    return undefined;
  }
  const dialect = set[0];
  // Type errors in unset-looking values (e.g. `exact: "x"`) still deserve an issue.
  for (const d of DIALECTS) if (d !== dialect) checkEmptyShape(d, filter[d], `${path}.${d}`, issues);
  switch (dialect) {
    case undefined:
      return undefined;
    case 'exact':
    case 'prefix':
    case 'suffix':
      return compileAttributeMatch(dialect, filter[dialect], `${path}.${dialect}`, issues);
    case 'all': {
      const children = compileList(filter.all, `${path}.all`, issues);
      return children === undefined ? undefined : new AllFilter(children);
    }
    case 'any': {
      const children = compileList(filter.any, `${path}.any`, issues);
      return children === undefined ? undefined : new AnyFilter(children);
    }
    case 'not': {
      const child = compileOne(filter.not, `${path}.not`, issues);
      return new NotFilter(child ?? NO_FILTER);
    }
    case 'cesql':
      return compileCesqlFilter(filter.cesql as string, `${path}.cesql`, issues);
  }
}

function compileAttributeMatch(
  kind: AtomKind,
  map: unknown,
  path: string,
  issues: ConfigIssue[],
): FilterNode | undefined {
  const entries = stringMap(map, path, issues, false);
  if (entries === undefined) return undefined;
  const pairs = Object.entries(entries);
  if (pairs.length !== 1) {
    issues.push({ path, message: `must name exactly one attribute, found ${pairs.length}` });
    return undefined;
  }
  const [attribute, value] = pairs[0]!;
  return new AttributeMatchFilter(kind, attribute, value);
}

/** A map of attribute names to string values; `allowEmpty` is false for the Subscriptions API. */
function stringMap(
  map: unknown,
  path: string,
  issues: ConfigIssue[],
  allowEmpty: boolean,
): Record<string, string> | undefined {
  if (!isPlainObject(map)) {
    issues.push({ path, message: `must be a map of attribute names to strings, got ${describe(map)}` });
    return undefined;
  }
  const before = issues.length;
  for (const [name, value] of Object.entries(map)) {
    const at = keyPath(path, name);
    if (!ATTRIBUTE_NAME.test(name)) {
      issues.push({
        path: at,
        message: `invalid attribute name ${JSON.stringify(name)}: must start with a lowercase letter and contain only lowercase letters and digits`,
      });
    }
    if (typeof value !== 'string') {
      issues.push({ path: at, message: `must be a string, got ${describe(value)}` });
    } else if (value === '' && !allowEmpty) {
      issues.push({ path: at, message: 'value must not be empty' });
    }
  }
  return issues.length === before ? (map as Record<string, string>) : undefined;
}

/** Whether a dialect field counts as set, following Knative (`len(x) > 0`, `x != nil`, `x != ""`). */
function isSet(dialect: string, value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (dialect === 'not') return true;
  if (Array.isArray(value) || typeof value === 'string') return value.length > 0;
  if (isPlainObject(value)) return Object.keys(value).length > 0;
  return true; // a wrong type: treat as set so that it is validated and reported
}

function checkEmptyShape(dialect: string, value: unknown, path: string, issues: ConfigIssue[]): void {
  if (value === undefined || value === null) return;
  const ok =
    dialect === 'all' || dialect === 'any'
      ? Array.isArray(value)
      : dialect === 'cesql'
        ? typeof value === 'string'
        : isPlainObject(value);
  if (!ok) issues.push({ path, message: `has the wrong type: ${describe(value)}` });
}

function unknownFields(
  obj: Record<string, unknown>,
  known: readonly string[],
  path: string,
  issues: ConfigIssue[],
) {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key))
      issues.push({
        path: keyPath(path, key),
        message: `unknown field; expected one of ${known.join(', ')}`,
      });
  }
}

function keyPath(path: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
