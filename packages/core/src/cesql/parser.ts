/**
 * CESQL parser: tokens to syntax tree.
 *
 * Hand-written recursive descent, one function per precedence level. CESQL's grammar is small and
 * fixed, a hand-written parser gives precise line/column errors, needs no generator at build time
 * and no runtime dependency (the reference implementations use ANTLR, which we do not want in
 * the core package).
 *
 * Precedence, loosest first, as in spec §3.6 and the spec's reference ANTLR grammar
 * (cesql/CESQLParser.g4, which Knative's CESQL filter runs on):
 *   1. AND, OR, XOR: one level, grouped to the right like the reference grammar's
 *      `<assoc=right>`: `a AND b OR c` is `a AND (b OR c)` (unlike ISO SQL, where AND binds
 *      tighter). Operands are still evaluated left to right, with short-circuits.
 *   2. = != <> >= <= > <  (left-associative, as are the levels below)
 *   3. + -
 *   4. * / %
 *   5. [NOT] LIKE 'pattern', [NOT] IN (set)  (postfix, applied to a unary expression)
 *   6. NOT x, -x  (so `NOT a = b` is `(NOT a) = b`; write `NOT (a = b)` or `a != b`)
 *   7. literals, attributes, EXISTS attr, function calls, ( expression )
 *
 * Unlike the reference lexer, a sign is only part of an integer literal where a value is
 * expected, so `4-1` is a subtraction rather than two adjacent integers.
 *
 * @see https://github.com/cloudevents/spec/blob/main/cesql/spec.md#2-language-syntax
 * @see https://github.com/cloudevents/spec/blob/main/cesql/spec.md#36-evaluation-of-the-expression
 */
import { type BinaryOperator, type CesqlNode, depthOver } from './ast.js';
import { CesqlParseError } from './errors.js';
import { type Token, tokenize } from './lexer.js';

/**
 * Deepest syntax tree accepted (a chain of 999 ORs is that deep). Far above any real filter, low
 * enough that compiling and evaluating (both recursive) can never exhaust the stack.
 */
export const MAX_DEPTH = 1000;

/**
 * Deepest nesting of parentheses, unary operators and argument lists, which the parser reads
 * recursively (several stack frames per level).
 */
export const MAX_NESTING = 200;

const INT_MAX = 2147483647;
const INT_MIN = -2147483648;

const KEYWORDS = new Set(['AND', 'OR', 'XOR', 'NOT', 'LIKE', 'IN', 'EXISTS', 'TRUE', 'FALSE']);
const LOGIC_OPERATORS = new Set(['AND', 'OR', 'XOR']);
const COMPARISON_OPERATORS = new Set(['=', '!=', '<>', '>=', '<=', '>', '<']);
const IDENTIFIER = /^[A-Za-z0-9]+$/;
const FUNCTION_NAME = /^[A-Za-z][A-Za-z_]*$/;

/** Parses CESQL text into a syntax tree. Throws CesqlParseError naming what is wrong and where. */
export function parseToTree(text: string): CesqlNode {
  return new Parser(tokenize(text)).parseAll();
}

class Parser {
  private index = 0;
  /** Current recursion depth of the parser itself (parentheses, unary chains, arguments). */
  private nesting = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parseAll(): CesqlNode {
    if (this.peek().kind === 'end') this.fail(this.peek(), 'the expression is empty');
    const node = this.parseLogic();
    const next = this.peek();
    if (next.kind !== 'end') {
      this.fail(next, `unexpected ${describe(next)} after a complete expression`);
    }
    return node;
  }

  // Level 1: AND, OR, XOR: one level, grouped to the right as the reference grammar does.
  // Read as a flat list and folded from the right, so long chains cost no parser recursion.
  private parseLogic(): CesqlNode {
    const operands = [this.parseComparison()];
    const operators: Token[] = [];
    for (;;) {
      const op = this.keywordOf(this.peek());
      if (op === undefined || !LOGIC_OPERATORS.has(op)) break;
      operators.push(this.next());
      operands.push(this.parseComparison());
    }
    let node = operands[operands.length - 1]!;
    for (let i = operators.length - 1; i >= 0; i--) {
      const token = operators[i]!;
      node = this.binary(token.text.toUpperCase() as BinaryOperator, operands[i]!, node, token);
    }
    return node;
  }

  // Level 2: comparisons.
  private parseComparison(): CesqlNode {
    let left = this.parseAdditive();
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'op' || !COMPARISON_OPERATORS.has(token.text)) return left;
      this.next();
      const right = this.parseAdditive();
      left = this.binary(token.text as BinaryOperator, left, right, token);
    }
  }

  // Level 3: + and -.
  private parseAdditive(): CesqlNode {
    let left = this.parseMultiplicative();
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'op' || (token.text !== '+' && token.text !== '-')) return left;
      this.next();
      const right = this.parseMultiplicative();
      left = this.binary(token.text, left, right, token);
    }
  }

  // Level 4: *, / and %.
  private parseMultiplicative(): CesqlNode {
    let left = this.parsePostfix();
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'op' || (token.text !== '*' && token.text !== '/' && token.text !== '%'))
        return left;
      this.next();
      const right = this.parsePostfix();
      left = this.binary(token.text, left, right, token);
    }
  }

  // Level 5: x [NOT] LIKE 'pattern', x [NOT] IN (a, b, ...).
  private parsePostfix(): CesqlNode {
    let operand = this.parseUnary();
    for (;;) {
      const start = this.peek();
      let keyword = this.keywordOf(start);
      let negated = false;
      if (keyword === 'NOT') {
        const after = this.keywordOf(this.peekAt(1));
        if (after !== 'LIKE' && after !== 'IN') return operand;
        negated = true;
        keyword = after;
        this.next();
      }
      if (keyword === 'LIKE') {
        this.next();
        const pattern = this.next();
        if (pattern.kind !== 'string') {
          // Spec §3.4.3: the pattern MUST be a string literal, otherwise a parse error.
          this.fail(pattern, `LIKE needs a string literal pattern, found ${describe(pattern)}`);
        }
        operand = this.checked(
          { type: 'like', operand, pattern: pattern.value, negated, depth: operand.depth + 1 },
          start,
        );
      } else if (keyword === 'IN') {
        this.next();
        const open = this.next();
        if (open.kind !== 'op' || open.text !== '(') {
          this.fail(open, `IN needs a parenthesized list of values, found ${describe(open)}`);
        }
        const set = this.parseList(open, 'IN set');
        if (set.length === 0) this.fail(open, 'the IN set is empty; it needs at least one value');
        operand = this.checked(
          { type: 'in', operand, set, negated, depth: depthOver([operand, ...set]) },
          start,
        );
      } else {
        return operand;
      }
    }
  }

  // Level 6: NOT x, -x (a sign directly before an integer is part of the literal).
  private parseUnary(): CesqlNode {
    const token = this.peek();
    if (
      token.kind === 'op' &&
      (token.text === '-' || token.text === '+') &&
      this.peekAt(1).kind === 'number'
    ) {
      this.next();
      return this.integer(this.next(), token.text === '-', token);
    }
    if (token.kind === 'op' && token.text === '-') {
      this.next();
      const operand = this.nested(token, () => this.parseUnary());
      return this.checked({ type: 'negate', operand, depth: operand.depth + 1 }, token);
    }
    if (this.keywordOf(token) === 'NOT') {
      this.next();
      const operand = this.nested(token, () => this.parseUnary());
      return this.checked({ type: 'not', operand, depth: operand.depth + 1 }, token);
    }
    return this.parsePrimary();
  }

  // Level 7: literals, attributes, EXISTS, function calls, parentheses.
  private parsePrimary(): CesqlNode {
    const token = this.next();
    switch (token.kind) {
      case 'number':
        return this.integer(token, false, token);
      case 'string':
        return { type: 'literal', value: token.value, depth: 1 };
      case 'op':
        if (token.text === '(') {
          const inner = this.nested(token, () => this.parseLogic());
          this.expect(')', `to close the '(' at line ${token.line}, column ${token.column}`);
          return inner;
        }
        return this.fail(token, `expected a value, found ${describe(token)}`);
      case 'word':
        return this.parseWord(token);
      default:
        return this.fail(token, 'the expression ends where a value was expected');
    }
  }

  private parseWord(token: Token): CesqlNode {
    const following = this.peek();
    if (following.kind === 'op' && following.text === '(') {
      if (!FUNCTION_NAME.test(token.text)) {
        this.fail(token, `'${token.text}' is not a valid function name (letters and '_' only)`);
      }
      this.next();
      const args = this.parseList(following, `arguments of ${token.text.toUpperCase()}`);
      return this.checked(
        {
          type: 'call',
          name: token.text.toUpperCase(),
          args,
          line: token.line,
          column: token.column,
          depth: depthOver(args),
        },
        token,
      );
    }
    const keyword = this.keywordOf(token);
    if (keyword === 'TRUE' || keyword === 'FALSE') {
      return { type: 'literal', value: keyword === 'TRUE', depth: 1 };
    }
    if (keyword === 'EXISTS') {
      const name = this.next();
      return { type: 'exists', name: this.attributeName(name, 'EXISTS needs an attribute name'), depth: 1 };
    }
    if (keyword !== undefined) this.fail(token, `unexpected keyword ${keyword} where a value was expected`);
    return { type: 'attribute', name: this.attributeName(token, 'expected an attribute name'), depth: 1 };
  }

  /** Reads `( a, b, ... )` after its opening parenthesis (already consumed); may be empty. */
  private parseList(open: Token, what: string): CesqlNode[] {
    return this.nested(open, () => {
      const items: CesqlNode[] = [];
      const first = this.peek();
      if (first.kind === 'op' && first.text === ')') {
        this.next();
        return items;
      }
      for (;;) {
        items.push(this.parseLogic());
        const sep = this.next();
        if (sep.kind === 'op' && sep.text === ')') return items;
        if (sep.kind !== 'op' || sep.text !== ',') {
          this.fail(
            sep,
            `expected ',' or ')' in the ${what} opened at line ${open.line}, column ${open.column}, found ${describe(sep)}`,
          );
        }
      }
    });
  }

  private attributeName(token: Token, message: string): string {
    if (token.kind !== 'word' || this.keywordOf(token) !== undefined || !IDENTIFIER.test(token.text)) {
      this.fail(token, `${message}, found ${describe(token)} (attribute names are letters and digits)`);
    }
    // Attribute names are lower-case in CloudEvents; CESQL keywords and names are case-insensitive.
    return token.text.toLowerCase();
  }

  /** An integer literal, range-checked as spec §2.2 requires (32-bit signed). */
  private integer(digits: Token, negative: boolean, at: Token): CesqlNode {
    const magnitude = Number(digits.text);
    const value = negative ? -magnitude : magnitude;
    if (value > INT_MAX || value < INT_MIN) {
      this.fail(
        at,
        `integer literal ${negative ? '-' : ''}${shorten(digits.text)} is outside the 32-bit range`,
      );
    }
    // `| 0` turns -0 into 0.
    return { type: 'literal', value: value | 0, depth: 1 };
  }

  private binary(operator: BinaryOperator, left: CesqlNode, right: CesqlNode, at: Token): CesqlNode {
    return this.checked(
      { type: 'binary', operator, left, right, depth: Math.max(left.depth, right.depth) + 1 },
      at,
    );
  }

  private checked<N extends CesqlNode>(node: N, at: Token): N {
    if (node.depth > MAX_DEPTH) this.fail(at, `the expression nests deeper than ${MAX_DEPTH} levels`);
    return node;
  }

  private nested<T>(at: Token, parse: () => T): T {
    if (++this.nesting > MAX_NESTING) {
      this.fail(at, `the expression nests parentheses or operators deeper than ${MAX_NESTING} levels`);
    }
    try {
      return parse();
    } finally {
      this.nesting--;
    }
  }

  private expect(op: string, why: string): void {
    const token = this.next();
    if (token.kind !== 'op' || token.text !== op)
      this.fail(token, `expected '${op}' ${why}, found ${describe(token)}`);
  }

  private keywordOf(token: Token): string | undefined {
    if (token.kind !== 'word') return undefined;
    const upper = token.text.toUpperCase();
    return KEYWORDS.has(upper) ? upper : undefined;
  }

  private peek(): Token {
    return this.peekAt(0);
  }

  private peekAt(offset: number): Token {
    // The token list always ends with an `end` token; never read past it.
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const token = this.peek();
    if (this.index < this.tokens.length - 1) this.index++;
    return token;
  }

  private fail(token: Token, reason: string): never {
    throw new CesqlParseError(reason, token.line, token.column);
  }
}

/** Long tokens cut short, so that an error message stays readable. */
function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function describe(token: Token): string {
  const text = shorten(token.text);
  switch (token.kind) {
    case 'end':
      return 'the end of the expression';
    case 'string':
      return `string ${text}`;
    case 'number':
      return `number ${text}`;
    default:
      return `'${text}'`;
  }
}
