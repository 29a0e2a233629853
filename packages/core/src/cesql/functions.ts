/**
 * CESQL's built-in functions and their dispatch by name and arity.
 *
 * Names are case-insensitive. A function has fixed parameters and optionally a variadic tail;
 * arguments are cast to the parameter types before the call (spec §3.7), except for the casting
 * functions INT, BOOL and STRING, which take any type and do the (explicit) cast themselves.
 * Every function returns a value of its return type even when it reports an error (spec §3.5.3).
 *
 * @see https://github.com/cloudevents/spec/blob/main/cesql/spec.md#35-functions
 */
import type { CesqlValue } from './ast.js';
import { charLength, charSlice } from './characters.js';
import {
  type CesqlType,
  type EvalContext,
  INT_MAX,
  INT_MIN,
  report,
  toBoolean,
  toCesqlString,
  toInteger,
} from './values.js';

export interface CesqlFunction {
  readonly name: string;
  /** Fixed parameter types; 'Any' takes the argument as it is. */
  readonly params: ReadonlyArray<CesqlType | 'Any'>;
  /** Type of the variadic tail, when the function is variadic. */
  readonly variadic?: CesqlType;
  readonly returns: CesqlType;
  /** Called with arguments already cast to the parameter types; must not keep `args`. */
  readonly call: (args: readonly CesqlValue[], ctx: EvalContext) => CesqlValue;
}

const str = (args: readonly CesqlValue[], i: number) => args[i] as string;
const int = (args: readonly CesqlValue[], i: number) => args[i] as number;

function functionError(ctx: EvalContext, name: string, message: string): void {
  report(ctx, 'functionEvaluation', `${name}: ${message}`);
}

/** SUBSTRING(x, pos[, len]) as spec §3.5.1 defines it, 1-based, negative `pos` from the end. */
function substring(x: string, pos: number, len: number | undefined, ctx: EvalContext): string {
  const n = charLength(x);
  if (pos > n || pos < -n) {
    functionError(ctx, 'SUBSTRING', `position ${pos} is outside a string of length ${n}`);
    return '';
  }
  if (len !== undefined && len < 0) {
    functionError(ctx, 'SUBSTRING', `length ${len} is negative`);
    return '';
  }
  if (pos === 0) return '';
  const start = pos > 0 ? pos - 1 : n + pos;
  const end = len === undefined ? n : Math.min(n, start + len);
  return charSlice(x, start, end);
}

/**
 * Whether a UTF-16 code unit is Unicode White_Space (spec §3.5.1 TRIM), which differs from JS
 * trim(): U+0085 is White_Space, U+FEFF is not. All White_Space characters are in the BMP.
 */
function isWhiteSpace(c: number): boolean {
  return (
    (c >= 0x09 && c <= 0x0d) ||
    c === 0x20 ||
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

// A scan rather than /\s+$/-style regular expressions, which take quadratic time on long runs of
// spaces followed by something else.
function trim(x: string): string {
  let start = 0;
  let end = x.length;
  while (start < end && isWhiteSpace(x.charCodeAt(start))) start++;
  while (end > start && isWhiteSpace(x.charCodeAt(end - 1))) end--;
  return x.slice(start, end);
}

const BUILT_INS: readonly CesqlFunction[] = [
  // Casting functions (spec §3.7 semantics, explicit).
  { name: 'INT', params: ['Any'], returns: 'Integer', call: (a, ctx) => toInteger(a[0]!, ctx) },
  { name: 'BOOL', params: ['Any'], returns: 'Boolean', call: (a, ctx) => toBoolean(a[0]!, ctx, true) },
  { name: 'STRING', params: ['Any'], returns: 'String', call: (a) => toCesqlString(a[0]!) },
  // String manipulation (spec §3.5.1).
  { name: 'LENGTH', params: ['String'], returns: 'Integer', call: (a) => charLength(str(a, 0)) },
  { name: 'CONCAT', params: [], variadic: 'String', returns: 'String', call: (a) => a.join('') },
  {
    name: 'CONCAT_WS',
    params: ['String'],
    variadic: 'String',
    returns: 'String',
    call: (a) => a.slice(1).join(str(a, 0)),
  },
  { name: 'LOWER', params: ['String'], returns: 'String', call: (a) => str(a, 0).toLowerCase() },
  { name: 'UPPER', params: ['String'], returns: 'String', call: (a) => str(a, 0).toUpperCase() },
  {
    name: 'TRIM',
    params: ['String'],
    returns: 'String',
    call: (a) => trim(str(a, 0)),
  },
  {
    name: 'LEFT',
    params: ['String', 'Integer'],
    returns: 'String',
    call: (a, ctx) => {
      const x = str(a, 0);
      const y = int(a, 1);
      if (y < 0) {
        functionError(ctx, 'LEFT', `length ${y} is negative`);
        return x;
      }
      return charSlice(x, 0, y);
    },
  },
  {
    name: 'RIGHT',
    params: ['String', 'Integer'],
    returns: 'String',
    call: (a, ctx) => {
      const x = str(a, 0);
      const y = int(a, 1);
      if (y < 0) {
        functionError(ctx, 'RIGHT', `length ${y} is negative`);
        return x;
      }
      const n = charLength(x);
      return y >= n ? x : charSlice(x, n - y, n);
    },
  },
  {
    name: 'SUBSTRING',
    params: ['String', 'Integer'],
    returns: 'String',
    call: (a, ctx) => substring(str(a, 0), int(a, 1), undefined, ctx),
  },
  {
    name: 'SUBSTRING',
    params: ['String', 'Integer', 'Integer'],
    returns: 'String',
    call: (a, ctx) => substring(str(a, 0), int(a, 1), int(a, 2), ctx),
  },
  // Math (spec §3.5.2).
  {
    name: 'ABS',
    params: ['Integer'],
    returns: 'Integer',
    call: (a, ctx) => {
      const x = int(a, 0);
      if (x === INT_MIN) {
        report(ctx, 'math', 'ABS(-2147483648) overflows a 32-bit integer');
        return INT_MAX;
      }
      return Math.abs(x);
    },
  },
];

const BY_NAME = new Map<string, CesqlFunction[]>();
for (const fn of BUILT_INS) {
  const list = BY_NAME.get(fn.name) ?? [];
  list.push(fn);
  BY_NAME.set(fn.name, list);
}

/**
 * The function `name` (upper case) callable with `arity` arguments: a fixed-arity overload
 * first, else a variadic one whose fixed part fits. Undefined when none exists (a MissingFunction
 * error at evaluation).
 */
export function resolveFunction(name: string, arity: number): CesqlFunction | undefined {
  const overloads = BY_NAME.get(name);
  if (overloads === undefined) return undefined;
  return (
    overloads.find((f) => f.variadic === undefined && f.params.length === arity) ??
    overloads.find((f) => f.variadic !== undefined && f.params.length <= arity)
  );
}

/** The parameter type for argument `index` of `fn` (its variadic type past the fixed ones). */
export function parameterType(fn: CesqlFunction, index: number): CesqlType | 'Any' {
  return fn.params[index] ?? fn.variadic ?? 'Any';
}
