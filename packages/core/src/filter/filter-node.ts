import type { MeshEvent } from '../event/mesh-event.js';
import type { Atom, Requirement } from './requirement.js';
import type { FilterResult } from './types.js';

/**
 * One compiled filter of one kind (Knative builds the same tree in `pkg/eventfilter`): it
 * evaluates to pass, fail or no opinion, and states what it requires of an event not to fail.
 */
export interface FilterNode {
  evaluate(event: MeshEvent): FilterResult;
  readonly requirement: Requirement;
  /**
   * Set when the whole filter is one atom's test: it passes exactly when the atom holds and fails
   * otherwise. The index then runs that test on data it keeps at hand (see TriggerIndex).
   */
  readonly equivalentAtom?: Atom | undefined;
}

/** The filter of a Trigger that has none: every event gets through with no opinion. */
export const NO_FILTER: FilterNode = {
  evaluate: () => 'no-filter',
  requirement: [],
};
