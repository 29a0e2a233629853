/**
 * Validation of Trigger and Bridge filters beyond their shape (one dialect per filter, attribute
 * names, CESQL syntax), delegated to the filter compiler so that config load and routing agree
 * on what is valid.
 */
import { ConfigError } from '../errors.js';
import { compileFilter } from '../filter/index.js';
import type { KindName } from './kinds.js';

export interface FilterProblem {
  /** `spec.filters[0].cesql` */
  path: string;
  message: string;
}

/** The problems with a validated resource's filters; none for kinds without filters. */
export function checkFilters(kind: KindName, resource: { spec?: unknown }): FilterProblem[] {
  if (kind !== 'Trigger' && kind !== 'Bridge') return [];
  const spec = resource.spec as { filter?: { attributes?: Record<string, string> }; filters?: unknown[] };
  try {
    compileFilter(
      { filter: spec.filter, filters: spec.filters } as Parameters<typeof compileFilter>[0],
      'spec',
    );
    return [];
  } catch (err) {
    if (err instanceof ConfigError) {
      return err.issues.length > 0
        ? err.issues.map((i) => ({ path: i.path, message: i.message }))
        : [{ path: 'spec', message: err.message }];
    }
    return [{ path: 'spec', message: `cannot compile filters: ${(err as Error).message}` }];
  }
}
