/**
 * The Subscriptions API's single-attribute dialects `exact`, `prefix` and `suffix`, and Knative's
 * original `filter.attributes`. Attribute values are compared in their canonical string form,
 * case-sensitively; a missing attribute fails.
 *
 * @see https://github.com/cloudevents/spec/blob/main/subscriptions/spec.md#3241-filter-dialects
 */
import { attributeText } from './attribute-value.js';
import type { MeshEvent } from '../event/mesh-event.js';
import type { FilterNode } from './filter-node.js';
import {
  type Atom,
  type AtomKind,
  type Requirement,
  atomRequirement,
  atomTest,
  requirementOfAll,
} from './requirement.js';
import type { FilterResult } from './types.js';

/** `exact`, `prefix` or `suffix` on one attribute with a non-empty value. */
export class AttributeMatchFilter implements FilterNode {
  readonly requirement: Requirement;
  readonly equivalentAtom: Atom;

  constructor(
    readonly kind: AtomKind,
    readonly attribute: string,
    readonly value: string,
  ) {
    this.requirement = atomRequirement(kind, attribute, value);
    this.equivalentAtom = { kind, attribute, value };
  }

  evaluate(event: MeshEvent): FilterResult {
    return atomTest(this.kind, this.attribute, this.value, event) ? 'pass' : 'fail';
  }
}

/**
 * Knative's `spec.filter.attributes`: every named attribute must equal its value exactly; an empty
 * value asks only that the attribute be present and non-empty. An empty map passes everything, as
 * in Knative (whereas a Trigger with no filter at all has no opinion).
 *
 * @see https://knative.dev/docs/eventing/triggers/#trigger-filtering
 */
export class AttributesFilter implements FilterNode {
  readonly requirement: Requirement;
  readonly equivalentAtom: Atom | undefined;
  // Two flat arrays rather than [name, value] pairs: one memory load fewer per evaluation.
  readonly #names: readonly string[];
  readonly #values: readonly string[];

  constructor(attributes: Readonly<Record<string, string>>) {
    this.#names = Object.keys(attributes);
    this.#values = Object.values(attributes);
    this.requirement = requirementOfAll(
      this.#names.map((name, i) => atomRequirement('exact', name, this.#values[i]!)),
    );
    // One attribute with a non-empty value: "equals the value" is all this filter tests.
    const [name, value] = [this.#names[0], this.#values[0]];
    this.equivalentAtom =
      this.#names.length === 1 && name !== undefined && value !== undefined && value !== ''
        ? { kind: 'exact', attribute: name, value }
        : undefined;
  }

  evaluate(event: MeshEvent): FilterResult {
    const names = this.#names;
    const values = this.#values;
    for (let i = 0; i < names.length; i++) {
      const actual = attributeText(event, names[i]!);
      if (actual === undefined || actual === '') return 'fail';
      const expected = values[i]!;
      if (expected !== '' && actual !== expected) return 'fail';
    }
    return 'pass';
  }
}
