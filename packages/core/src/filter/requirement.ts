/**
 * What a filter needs from an event in order not to fail, in a form an index can look up.
 *
 * An {@link Atom} is one indexable test on one attribute's string value. A {@link Clause} is a
 * disjunction of atoms, and a {@link Requirement} is a conjunction of clauses: whenever the filter
 * evaluates to anything but `fail`, every clause has at least one atom that holds. A filter of
 * which nothing is known has the empty requirement `[]`. Requirements are necessary conditions only;
 * the full filter is always evaluated afterwards, so an index built on them stays exact.
 */
import { attributeText } from './attribute-value.js';
import type { MeshEvent } from '../event/mesh-event.js';

export type AtomKind = 'exact' | 'prefix' | 'suffix';

export interface Atom {
  readonly kind: AtomKind;
  readonly attribute: string;
  /** Never empty: an empty prefix or suffix says nothing worth indexing. */
  readonly value: string;
}

export type Clause = readonly Atom[];
export type Requirement = readonly Clause[];

export const NO_REQUIREMENT: Requirement = [];

/** The requirement of a single atom, or none when the value is empty. */
export function atomRequirement(kind: AtomKind, attribute: string, value: string): Requirement {
  return value === '' ? NO_REQUIREMENT : [[{ kind, attribute, value }]];
}

export function atomHolds(atom: Atom, event: MeshEvent): boolean {
  return atomTest(atom.kind, atom.attribute, atom.value, event);
}

/** The one test behind every atom, and behind the `exact`, `prefix` and `suffix` filters. */
export function atomTest(kind: AtomKind, attribute: string, value: string, event: MeshEvent): boolean {
  const actual = attributeText(event, attribute);
  if (actual === undefined) return false;
  switch (kind) {
    case 'exact':
      return actual === value;
    case 'prefix':
      return actual.startsWith(value);
    case 'suffix':
      return actual.endsWith(value);
  }
}

/** `all` does not fail only if no child fails, so every child's clauses hold. */
export function requirementOfAll(children: readonly Requirement[]): Requirement {
  return children.flat();
}

/**
 * `any` does not fail only if some child passes, or if every child has no opinion (then the first
 * child did not fail either). Either way some child did not fail, so the union of one clause per
 * child holds, provided every child has a clause at all.
 */
export function requirementOfAny(children: readonly Requirement[]): Requirement {
  if (children.length === 0) return NO_REQUIREMENT;
  const union: Atom[] = [];
  for (const child of children) {
    const best = narrowestClause(child);
    if (best === undefined) return NO_REQUIREMENT;
    union.push(...best);
  }
  return [union];
}

/** The clause likely to select the fewest events: fewest atoms, then most exact atoms. */
export function narrowestClause(requirement: Requirement): Clause | undefined {
  let best: Clause | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const clause of requirement) {
    const score = clause.reduce((sum, atom) => sum + (atom.kind === 'exact' ? 1 : 1.5), 0);
    if (score < bestScore) {
      best = clause;
      bestScore = score;
    }
  }
  return best;
}
