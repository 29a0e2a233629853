/**
 * What a CESQL expression requires of an event to evaluate to `true` without error, as index
 * clauses (see `requirement.ts`). Read off the syntax tree, following the engine's semantics:
 *
 * - `a AND b` is true only if both are: the requirements of both hold (concatenated clauses).
 * - `a OR b` is true only if one is: one clause of each side, joined into one disjunction.
 * - `attr = 'text'` casts the attribute to String, so it is true exactly when the attribute's
 *   canonical string is `text`: an `exact` atom. `'text' = attr` casts the other way (so the
 *   Integer 5 equals '05'); it gives an atom only when `text` cannot be cast to Integer or
 *   Boolean at all, so that only a String attribute can equal it. `attr IN ('x', 'y')` likewise.
 * - `attr LIKE 'pattern'`: the literal text before the first wildcard must start the value, the
 *   text after the last one must end it, and a pattern without wildcards is an exact match.
 * - Anything else (NOT, comparisons, functions, EXISTS, XOR) requires nothing we can index.
 *
 * @see https://github.com/cloudevents/spec/blob/main/cesql/spec.md#37-type-casting
 * @see https://github.com/cloudevents/spec/blob/main/cesql/spec.md#343-like-operator
 */
import type { CesqlNode } from '../cesql/ast.js';
import {
  type Atom,
  NO_REQUIREMENT,
  type Requirement,
  atomRequirement,
  requirementOfAll,
  requirementOfAny,
} from './requirement.js';

export function cesqlRequirement(node: CesqlNode): Requirement {
  switch (node.type) {
    case 'binary':
      if (node.operator === 'AND') {
        return requirementOfAll([cesqlRequirement(node.left), cesqlRequirement(node.right)]);
      }
      if (node.operator === 'OR') {
        return requirementOfAny([cesqlRequirement(node.left), cesqlRequirement(node.right)]);
      }
      if (node.operator === '=') return equalityRequirement(node.left, node.right);
      return NO_REQUIREMENT;
    case 'like':
      return node.negated || node.operand.type !== 'attribute'
        ? NO_REQUIREMENT
        : likeRequirement(node.operand.name, node.pattern);
    case 'in': {
      if (node.negated || node.operand.type !== 'attribute') return NO_REQUIREMENT;
      const name = node.operand.name;
      const atoms: Atom[] = [];
      for (const element of node.set) {
        const text = castProofString(element);
        if (text === undefined || text === '') return NO_REQUIREMENT;
        atoms.push({ kind: 'exact', attribute: name, value: text });
      }
      return atoms.length === 0 ? NO_REQUIREMENT : [atoms];
    }
    default:
      return NO_REQUIREMENT;
  }
}

function equalityRequirement(left: CesqlNode, right: CesqlNode): Requirement {
  // `attr = 'text'`: the attribute is cast to String, whatever its type.
  if (left.type === 'attribute' && right.type === 'literal' && typeof right.value === 'string') {
    return atomRequirement('exact', left.name, right.value);
  }
  // `'text' = attr`: the text is cast to the attribute's type.
  if (right.type === 'attribute' && left.type === 'literal') {
    const text = castProofString(left);
    if (text !== undefined) return atomRequirement('exact', right.name, text);
  }
  return NO_REQUIREMENT;
}

/**
 * A String literal that no cast to Integer or Boolean accepts, so that it can only ever equal a
 * String attribute with exactly this text. Conservative: anything that looks like a number is out.
 */
function castProofString(node: CesqlNode): string | undefined {
  if (node.type !== 'literal' || typeof node.value !== 'string') return undefined;
  const text = node.value;
  if (/^\s*[+-]?\s*\d/.test(text)) return undefined;
  const lower = text.trim().toLowerCase();
  return lower === 'true' || lower === 'false' ? undefined : text;
}

/** Literal prefix and suffix of a LIKE pattern (`%` and `_` wildcards, `\%` and `\_` escapes). */
function likeRequirement(attribute: string, pattern: string): Requirement {
  let literal = '';
  let prefix: string | undefined;
  let wildcard = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    const next = pattern[i + 1];
    if (c === '\\' && (next === '%' || next === '_')) {
      literal += next;
      i++;
    } else if (c === '%' || c === '_') {
      if (!wildcard) prefix = literal;
      wildcard = true;
      literal = '';
    } else {
      literal += c;
    }
  }
  if (!wildcard) return atomRequirement('exact', attribute, literal);
  return requirementOfAll([
    atomRequirement('prefix', attribute, prefix ?? ''),
    atomRequirement('suffix', attribute, literal),
  ]);
}
