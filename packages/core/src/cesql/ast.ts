/**
 * The CESQL syntax tree the parser produces and the compiler turns into closures.
 * Every node records its `depth` (1 for leaves) so that the parser can refuse trees too deep to
 * compile or evaluate without exhausting the stack.
 */

/** A CESQL value: Boolean, Integer (a 32-bit signed integer held in a JS number) or String. */
export type CesqlValue = boolean | number | string;

export type BinaryOperator =
  | 'AND'
  | 'OR'
  | 'XOR'
  | '='
  | '!='
  | '<>'
  | '<'
  | '<='
  | '>'
  | '>='
  | '+'
  | '-'
  | '*'
  | '/'
  | '%';

interface Base {
  readonly depth: number;
}

export interface LiteralNode extends Base {
  readonly type: 'literal';
  readonly value: CesqlValue;
}
/** A context attribute or extension, by its lower-case name. */
export interface AttributeNode extends Base {
  readonly type: 'attribute';
  readonly name: string;
}
export interface ExistsNode extends Base {
  readonly type: 'exists';
  readonly name: string;
}
export interface UnaryNode extends Base {
  readonly type: 'not' | 'negate';
  readonly operand: CesqlNode;
}
export interface BinaryNode extends Base {
  readonly type: 'binary';
  readonly operator: BinaryOperator;
  readonly left: CesqlNode;
  readonly right: CesqlNode;
}
export interface LikeNode extends Base {
  readonly type: 'like';
  readonly operand: CesqlNode;
  /** The pattern as written in its string literal (escapes `\%` and `\_` still in place). */
  readonly pattern: string;
  readonly negated: boolean;
}
export interface InNode extends Base {
  readonly type: 'in';
  readonly operand: CesqlNode;
  readonly set: readonly CesqlNode[];
  readonly negated: boolean;
}
export interface CallNode extends Base {
  readonly type: 'call';
  /** Upper-case function name (function names are case-insensitive). */
  readonly name: string;
  readonly args: readonly CesqlNode[];
  readonly line: number;
  readonly column: number;
}

export type CesqlNode =
  | LiteralNode
  | AttributeNode
  | ExistsNode
  | UnaryNode
  | BinaryNode
  | LikeNode
  | InNode
  | CallNode;

/** The depth of a node built from these children (1 + the deepest child). */
export function depthOver(children: readonly CesqlNode[]): number {
  let max = 0;
  for (const c of children) if (c.depth > max) max = c.depth;
  return max + 1;
}
