/**
 * The Subscriptions API's `all`, `any` and `not`, with Knative's tri-state algebra: a child with no
 * opinion neither helps nor hurts, and a combination of children that all have no opinion has none.
 * Both `all` and `any` give the same result whatever the order of their children, so, like Knative,
 * they move the child that most often decides the outcome towards the front to stop sooner.
 *
 * @see https://github.com/cloudevents/spec/blob/main/subscriptions/spec.md#3241-filter-dialects
 */
import type { MeshEvent } from '../event/mesh-event.js';
import type { FilterNode } from './filter-node.js';
import { type Requirement, NO_REQUIREMENT, requirementOfAll, requirementOfAny } from './requirement.js';
import type { FilterResult } from './types.js';

/** Children in evaluation order with how often each one decided the outcome. */
class AdaptiveOrder {
  readonly children: FilterNode[];
  readonly #decided: number[];

  constructor(children: readonly FilterNode[]) {
    this.children = [...children];
    this.#decided = children.map(() => 0);
  }

  /** Counts a decision by child `i` and lets it overtake its predecessor when it decides more often. */
  decidedBy(i: number): void {
    const decided = this.#decided;
    const count = (decided[i] ?? 0) + 1;
    decided[i] = count;
    if (i > 0 && count > (decided[i - 1] ?? 0)) {
      const children = this.children;
      const previous = children[i - 1]!;
      children[i - 1] = children[i]!;
      children[i] = previous;
      decided[i] = decided[i - 1] ?? 0;
      decided[i - 1] = count;
    }
  }
}

/** Fails as soon as one child fails; passes if some child passed; otherwise has no opinion. */
export class AllFilter implements FilterNode {
  readonly requirement: Requirement;
  readonly #order: AdaptiveOrder;

  constructor(children: readonly FilterNode[]) {
    this.#order = new AdaptiveOrder(children);
    this.requirement = requirementOfAll(children.map((c) => c.requirement));
  }

  evaluate(event: MeshEvent): FilterResult {
    let result: FilterResult = 'no-filter';
    const children = this.#order.children;
    for (let i = 0; i < children.length; i++) {
      const r = children[i]!.evaluate(event);
      if (r === 'fail') {
        this.#order.decidedBy(i);
        return 'fail';
      }
      if (r === 'pass') result = 'pass';
    }
    return result;
  }
}

/** Passes as soon as one child passes; fails if some child failed; otherwise has no opinion. */
export class AnyFilter implements FilterNode {
  readonly requirement: Requirement;
  readonly #order: AdaptiveOrder;

  constructor(children: readonly FilterNode[]) {
    this.#order = new AdaptiveOrder(children);
    this.requirement = requirementOfAny(children.map((c) => c.requirement));
  }

  evaluate(event: MeshEvent): FilterResult {
    let result: FilterResult = 'no-filter';
    const children = this.#order.children;
    for (let i = 0; i < children.length; i++) {
      const r = children[i]!.evaluate(event);
      if (r === 'pass') {
        this.#order.decidedBy(i);
        return 'pass';
      }
      if (r === 'fail') result = 'fail';
    }
    return result;
  }
}

/** Swaps pass and fail; no opinion stays no opinion. Requires nothing an index could use. */
export class NotFilter implements FilterNode {
  readonly requirement = NO_REQUIREMENT;

  constructor(readonly child: FilterNode) {}

  evaluate(event: MeshEvent): FilterResult {
    const r = this.child.evaluate(event);
    return r === 'pass' ? 'fail' : r === 'fail' ? 'pass' : 'no-filter';
  }
}
