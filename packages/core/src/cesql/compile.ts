/**
 * Compiles a CESQL syntax tree into nested closures, once per expression, so that evaluating an
 * event is a chain of direct calls on JS primitives: no tree walk, no boxing, and no allocation
 * unless errors are being collected with messages.
 *
 * Error behaviour (spec §3.2, §3.3, §3.4):
 * - an attribute that the event lacks yields a MissingAttribute error;
 * - when an operand (or function argument) reports an error, the operator stops there and
 *   returns the zero value of its own return type (false, 0 or ""), so `1 / missing` is
 *   `0, MissingAttribute` and not a Math error;
 * - a failed cast of an operand's value reports a Cast error and the operator continues with the
 *   zero value of the target type (so `NOT 10` is `true, Cast`, as the TCK expects);
 * - AND and OR short-circuit: the right operand is not evaluated when the left one decides.
 *
 * @see https://github.com/cloudevents/spec/blob/main/cesql/spec.md#3-language-semantics
 */
import type { AttributeValue } from '../event/mesh-event.js';
import type { BinaryNode, CallNode, CesqlNode, CesqlValue, InNode } from './ast.js';
import { CesqlEvaluationError } from './errors.js';
import { parameterType, resolveFunction } from './functions.js';
import { compileLike } from './like.js';
import {
  castTo,
  type EvalContext,
  fromAttribute,
  report,
  toBoolean,
  toCesqlString,
  toInteger,
  zeroOf,
} from './values.js';

export type Attributes = Readonly<Record<string, AttributeValue>>;
export type Evaluator = (attributes: Attributes, ctx: EvalContext) => CesqlValue;

export interface Compiled {
  readonly evaluate: Evaluator;
  /** Attribute names the expression reads (including under EXISTS). */
  readonly attributes: Set<string>;
  /** Errors certain at compile time (calls to unknown functions); they also occur at evaluation. */
  readonly staticErrors: CesqlEvaluationError[];
}

export function compileTree(root: CesqlNode): Compiled {
  const attributes = new Set<string>();
  const staticErrors: CesqlEvaluationError[] = [];
  const evaluate = compileNode(root, { attributes, staticErrors });
  return { evaluate, attributes, staticErrors };
}

interface Collector {
  readonly attributes: Set<string>;
  readonly staticErrors: CesqlEvaluationError[];
}

function compileNode(node: CesqlNode, out: Collector): Evaluator {
  switch (node.type) {
    case 'literal': {
      const value = node.value;
      return () => value;
    }
    case 'attribute':
      out.attributes.add(node.name);
      return compileAttribute(node.name);
    case 'exists': {
      out.attributes.add(node.name);
      const name = node.name;
      // Same notion of presence as reading the attribute (null counts as absent).
      return (a) => Object.hasOwn(a, name) && a[name] !== undefined && a[name] !== null;
    }
    case 'not': {
      const operand = compileNode(node.operand, out);
      return (a, ctx) => {
        const before = ctx.errorCount;
        const v = operand(a, ctx);
        if (ctx.errorCount !== before) return false;
        return !toBoolean(v, ctx);
      };
    }
    case 'negate': {
      const operand = compileNode(node.operand, out);
      return (a, ctx) => {
        const before = ctx.errorCount;
        const v = operand(a, ctx);
        if (ctx.errorCount !== before) return 0;
        return -toInteger(v, ctx) | 0;
      };
    }
    case 'binary':
      return compileBinary(node, out);
    case 'like': {
      const operand = compileNode(node.operand, out);
      const matches = compileLike(node.pattern);
      const negated = node.negated;
      return (a, ctx) => {
        const before = ctx.errorCount;
        const v = operand(a, ctx);
        if (ctx.errorCount !== before) return false;
        return matches(toCesqlString(v)) !== negated;
      };
    }
    case 'in':
      return compileIn(node, out);
    case 'call':
      return compileCall(node, out);
  }
}

function missingMessage(name: string): string {
  return `the event has no attribute '${name}'`;
}

function compileAttribute(name: string): Evaluator {
  const message = missingMessage(name);
  // Names such as `constructor` also exist on Object.prototype: only own properties count.
  const inherited = name in Object.prototype;
  return (a, ctx) => {
    const v = inherited ? (Object.hasOwn(a, name) ? a[name] : undefined) : a[name];
    if (v === undefined || v === null) {
      report(ctx, 'missingAttribute', message);
      return false;
    }
    return fromAttribute(v);
  };
}

type Operation = (left: CesqlValue, right: CesqlValue, ctx: EvalContext) => CesqlValue;

/** `x = y` for the ambiguous `=`: `x` is cast to the type of `y` (spec §3.7, binary rule 2). */
function equals(left: CesqlValue, right: CesqlValue, ctx: EvalContext): boolean {
  if (typeof right === 'string') return toCesqlString(left) === right;
  if (typeof right === 'number') return toInteger(left, ctx) === right;
  return toBoolean(left, ctx) === right;
}

const OPERATIONS: Record<Exclude<BinaryNode['operator'], 'AND' | 'OR'>, Operation> = {
  XOR: (l, r, ctx) => toBoolean(l, ctx) !== toBoolean(r, ctx),
  '=': equals,
  '!=': (l, r, ctx) => !equals(l, r, ctx),
  '<>': (l, r, ctx) => !equals(l, r, ctx),
  '<': (l, r, ctx) => toInteger(l, ctx) < toInteger(r, ctx),
  '<=': (l, r, ctx) => toInteger(l, ctx) <= toInteger(r, ctx),
  '>': (l, r, ctx) => toInteger(l, ctx) > toInteger(r, ctx),
  '>=': (l, r, ctx) => toInteger(l, ctx) >= toInteger(r, ctx),
  // 32-bit two's-complement arithmetic: results wrap around like a signed 32-bit integer.
  '+': (l, r, ctx) => (toInteger(l, ctx) + toInteger(r, ctx)) | 0,
  '-': (l, r, ctx) => (toInteger(l, ctx) - toInteger(r, ctx)) | 0,
  '*': (l, r, ctx) => Math.imul(toInteger(l, ctx), toInteger(r, ctx)),
  '/': (l, r, ctx) => {
    const x = toInteger(l, ctx);
    const y = toInteger(r, ctx);
    if (y === 0) {
      report(ctx, 'math', 'division by zero');
      return 0;
    }
    return (x / y) | 0; // truncates towards zero
  },
  '%': (l, r, ctx) => {
    const x = toInteger(l, ctx);
    const y = toInteger(r, ctx);
    if (y === 0) {
      report(ctx, 'math', 'modulo by zero');
      return 0;
    }
    return (x % y) | 0; // sign of the dividend; `| 0` turns -0 into 0
  },
};

function compileBinary(node: BinaryNode, out: Collector): Evaluator {
  const fast = compileAttributeEqualsString(node, out);
  if (fast !== undefined) return fast;
  const left = compileNode(node.left, out);
  const right = compileNode(node.right, out);
  switch (node.operator) {
    case 'AND':
      return (a, ctx) => {
        const before = ctx.errorCount;
        const l = left(a, ctx);
        if (ctx.errorCount !== before || !toBoolean(l, ctx)) return false;
        const r = right(a, ctx);
        if (ctx.errorCount !== before) return false;
        return toBoolean(r, ctx);
      };
    case 'OR':
      return (a, ctx) => {
        const before = ctx.errorCount;
        const l = left(a, ctx);
        if (ctx.errorCount !== before) return false;
        if (toBoolean(l, ctx)) return true;
        const afterLeft = ctx.errorCount;
        const r = right(a, ctx);
        if (ctx.errorCount !== afterLeft) return false;
        return toBoolean(r, ctx);
      };
    default: {
      const operation = OPERATIONS[node.operator];
      const zero = isArithmetic(node.operator) ? 0 : false;
      return (a, ctx) => {
        const before = ctx.errorCount;
        const l = left(a, ctx);
        if (ctx.errorCount !== before) return zero;
        const r = right(a, ctx);
        if (ctx.errorCount !== before) return zero;
        return operation(l, r, ctx);
      };
    }
  }
}

/**
 * `attr = 'text'` (and `!=`, `<>`), the most common filter shape, as one closure: the same result
 * as the general path (the attribute is cast to String, which never fails) with fewer calls.
 */
function compileAttributeEqualsString(node: BinaryNode, out: Collector): Evaluator | undefined {
  const { operator, left, right } = node;
  if (operator !== '=' && operator !== '!=' && operator !== '<>') return undefined;
  if (left.type !== 'attribute' || right.type !== 'literal' || typeof right.value !== 'string')
    return undefined;
  const name = left.name;
  out.attributes.add(name);
  if (name in Object.prototype) return undefined; // needs the own-property check of the general path
  const message = missingMessage(name);
  const text = right.value;
  const equal = operator === '=';
  return (a, ctx) => {
    const v = a[name];
    if (typeof v === 'string') return (v === text) === equal;
    if (v === undefined || v === null) {
      report(ctx, 'missingAttribute', message);
      return false;
    }
    return (toCesqlString(fromAttribute(v)) === text) === equal;
  };
}

function isArithmetic(operator: BinaryNode['operator']): boolean {
  return operator === '+' || operator === '-' || operator === '*' || operator === '/' || operator === '%';
}

/** `x IN (...)`: each element is cast to the type of `x` and compared as `=` does (spec §3.4.5). */
function compileIn(node: InNode, out: Collector): Evaluator {
  const operand = compileNode(node.operand, out);
  const elements = node.set.map((e) => compileNode(e, out));
  const negated = node.negated;
  // A set of literals, matched against a String, is a hash lookup (casts to String never fail).
  const literalStrings = node.set.every((e) => e.type === 'literal')
    ? new Set(node.set.map((e) => toCesqlString((e as { value: CesqlValue }).value)))
    : undefined;
  return (a, ctx) => {
    const before = ctx.errorCount;
    const x = operand(a, ctx);
    if (ctx.errorCount !== before) return false;
    if (literalStrings !== undefined && typeof x === 'string') return literalStrings.has(x) !== negated;
    let found = false;
    for (const element of elements) {
      const errorsBefore = ctx.errorCount;
      const y = element(a, ctx);
      if (ctx.errorCount !== errorsBefore) return false;
      if (
        castTo(y, typeof x === 'string' ? 'String' : typeof x === 'number' ? 'Integer' : 'Boolean', ctx) === x
      ) {
        found = true;
        break;
      }
    }
    return found !== negated;
  };
}

function compileCall(node: CallNode, out: Collector): Evaluator {
  const fn = resolveFunction(node.name, node.args.length);
  if (fn === undefined) {
    const message = `no function ${node.name} takes ${node.args.length} argument${node.args.length === 1 ? '' : 's'} (line ${node.line}, column ${node.column})`;
    out.staticErrors.push(new CesqlEvaluationError('missingFunction', message));
    // Still record the attributes the arguments name, for indexing; they are never evaluated.
    for (const arg of node.args) compileNode(arg, out);
    return (_a, ctx) => {
      report(ctx, 'missingFunction', message);
      return false;
    };
  }
  const args = node.args.map((arg) => compileNode(arg, out));
  const cast = compileCastCall(node.name, args);
  if (cast !== undefined) return cast;
  const types = args.map((_, i) => parameterType(fn, i));
  const zero = zeroOf(fn.returns);
  // One argument buffer per call site: evaluation is synchronous and a call site never re-enters
  // itself, so reusing it is safe and saves an allocation per call.
  const values: CesqlValue[] = new Array(args.length).fill(false);
  const call = fn.call;
  return (a, ctx) => {
    const before = ctx.errorCount;
    for (let i = 0; i < args.length; i++) {
      const v = args[i]!(a, ctx);
      if (ctx.errorCount !== before) return zero;
      const type = types[i]!;
      values[i] = type === 'Any' ? v : castTo(v, type, ctx);
    }
    return call(values, ctx);
  };
}

/** INT(x), BOOL(x) and STRING(x) as direct casts, without the generic argument handling. */
function compileCastCall(name: string, args: readonly Evaluator[]): Evaluator | undefined {
  const arg = args[0];
  if (args.length !== 1 || arg === undefined) return undefined;
  switch (name) {
    case 'INT':
      return (a, ctx) => {
        const before = ctx.errorCount;
        const v = arg(a, ctx);
        return ctx.errorCount !== before ? 0 : toInteger(v, ctx);
      };
    case 'BOOL':
      return (a, ctx) => {
        const before = ctx.errorCount;
        const v = arg(a, ctx);
        return ctx.errorCount !== before ? false : toBoolean(v, ctx, true);
      };
    case 'STRING':
      return (a, ctx) => {
        const before = ctx.errorCount;
        const v = arg(a, ctx);
        return ctx.errorCount !== before ? '' : toCesqlString(v);
      };
    default:
      return undefined;
  }
}
