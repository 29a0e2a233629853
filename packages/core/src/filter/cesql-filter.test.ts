import { describe, expect, it } from 'vitest';
import { parseToTree } from '../cesql/parser.js';
import { ConfigError } from '../errors.js';
import { makeEvent } from '../event/mesh-event.js';
import { cesqlRequirement } from './cesql-requirement.js';
import { compileFilter } from './compile.js';

const event = makeEvent({ specversion: '1.0', id: '1', type: 'com.example.a', source: '/s', seq: 5 });
const cesql = (text: string) => compileFilter({ filters: [{ cesql: text }] });

/** A requirement as readable strings: clauses joined by AND, atoms by OR. */
const requirementOf = (text: string) =>
  cesqlRequirement(parseToTree(text)).map((clause) =>
    clause.map((a) => `${a.kind}(${a.attribute}=${a.value})`).join(' | '),
  );

describe('cesql filter', () => {
  it('passes on a Boolean true without error and fails otherwise', () => {
    expect(cesql("type LIKE 'com.example.%' AND seq > 3").evaluate(event)).toBe('pass');
    expect(cesql("type = 'com.example.b'").evaluate(event)).toBe('fail');
    expect(cesql('missing = 1 OR TRUE').evaluate(event)).toBe('fail'); // an error fails, as in Knative
    expect(cesql("'x'").evaluate(event)).toBe('fail'); // not a Boolean
  });

  it('has no opinion for an empty expression', () => {
    expect(cesql('').evaluate(event)).toBe('no-filter');
  });

  it('reports a parse error at config load with its path, line and column', () => {
    let error: unknown;
    try {
      compileFilter({ filters: [{ exact: { type: 'a' } }, { any: [{ cesql: "type = 'a' AND" }] }] });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('spec.filters[1].any[0].cesql');
    expect(issues[0]!.message).toMatch(/line 1, column \d+/);
  });

  it('refuses an expression that calls a function that does not exist', () => {
    expect(() => cesql('NOSUCH(type) = 1')).toThrow(
      /spec\.filters\[0\]\.cesql: CESQL expression can never match/,
    );
  });
});

describe('cesqlRequirement', () => {
  it('turns equality, LIKE and IN on attributes into index atoms', () => {
    expect(requirementOf("type = 'a'")).toEqual(['exact(type=a)']);
    expect(requirementOf("type LIKE 'com.%'")).toEqual(['prefix(type=com.)']);
    expect(requirementOf("type LIKE '%.created'")).toEqual(['suffix(type=.created)']);
    expect(requirementOf("type LIKE 'a_b%c'")).toEqual(['prefix(type=a)', 'suffix(type=c)']);
    expect(requirementOf("type LIKE 'a\\%b'")).toEqual(['exact(type=a%b)']);
    expect(requirementOf("type IN ('a', 'b')")).toEqual(['exact(type=a) | exact(type=b)']);
  });

  it('combines AND as a conjunction and OR as a disjunction', () => {
    expect(requirementOf("type = 'a' AND source LIKE '/x%' AND seq > 1")).toEqual([
      'exact(type=a)',
      'prefix(source=/x)',
    ]);
    expect(requirementOf("type = 'a' OR (type = 'b' AND source = 's')")).toEqual([
      'exact(type=a) | exact(type=b)',
    ]);
    expect(requirementOf("type = 'a' OR seq > 1")).toEqual([]);
  });

  it('requires nothing where a cast or a negation could make it true otherwise', () => {
    expect(requirementOf("'5' = seq")).toEqual([]); // Integer 5 equals '5' and '05'
    expect(requirementOf("'TRUE' = flag")).toEqual([]);
    expect(requirementOf("seq IN ('5', 'x')")).toEqual([]);
    expect(requirementOf("'abc' = type")).toEqual(['exact(type=abc)']);
    expect(requirementOf("NOT (type = 'a')")).toEqual([]);
    expect(requirementOf("type <> 'a'")).toEqual([]);
    expect(requirementOf("type NOT LIKE 'a%'")).toEqual([]);
    expect(requirementOf("LOWER(type) = 'a'")).toEqual([]);
    expect(requirementOf("type LIKE '%'")).toEqual([]);
    expect(requirementOf('EXISTS type')).toEqual([]);
  });
});
