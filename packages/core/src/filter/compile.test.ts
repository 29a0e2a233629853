import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { makeEvent } from '../event/mesh-event.js';
import { compileFilter } from './compile.js';
import { filterToJSON } from './json.js';
import type { TriggerFilterSpec } from './types.js';

/** The issues compileFilter reports for a spec, as `path: message` strings. */
function issuesOf(spec: unknown, path?: string): string[] {
  try {
    compileFilter(spec as TriggerFilterSpec, path);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const configError = err as ConfigError;
    expect(configError.code).toBe('CONFIG_INVALID');
    return configError.issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('compileFilter validation', () => {
  it('points at the offending filter in the list', () => {
    const issues = issuesOf({
      filters: [{ exact: { type: 'a' } }, { prefix: { source: 'b' } }, { exact: { type: 'a', source: 'b' } }],
    });
    expect(issues).toEqual(['spec.filters[2].exact: must name exactly one attribute, found 2']);
  });

  it('refuses more than one dialect in one filter', () => {
    expect(issuesOf({ filters: [{ exact: { type: 'a' }, prefix: { type: 'b' } }] })).toEqual([
      'spec.filters[0]: multiple dialects found (exact, prefix); a filter can have only one',
    ]);
    expect(issuesOf({ filters: [{ exact: { type: 'a' }, not: {} }] })[0]).toMatch(/multiple dialects/);
  });

  it('refuses empty values in exact, prefix and suffix', () => {
    expect(issuesOf({ filters: [{ suffix: { type: '' } }] })).toEqual([
      'spec.filters[0].suffix.type: value must not be empty',
    ]);
  });

  it('refuses attribute names Knative refuses', () => {
    expect(issuesOf({ filter: { attributes: { Type: 'a' } } })).toEqual([
      'spec.filter.attributes.Type: invalid attribute name "Type": must start with a lowercase letter and contain only lowercase letters and digits',
    ]);
    expect(issuesOf({ filters: [{ exact: { 'my-ext': 'a' } }] })[0]).toMatch(
      /^spec\.filters\[0\]\.exact\["my-ext"\]: invalid attribute name/,
    );
    expect(issuesOf({ filters: [{ prefix: { '1abc': 'a' } }] })[0]).toMatch(/invalid attribute name/);
  });

  it('refuses wrong types and unknown fields, naming each', () => {
    expect(issuesOf({ filters: { exact: { type: 'a' } } })).toEqual([
      'spec.filters: must be a list of filters, got an object',
    ]);
    expect(issuesOf({ filters: ['type=a'] })).toEqual([
      'spec.filters[0]: must be an object with one of exact, prefix, suffix, all, any, not, cesql, got string "type=a"',
    ]);
    expect(issuesOf({ filters: [{ exact: { type: 1 } }] })).toEqual([
      'spec.filters[0].exact.type: must be a string, got number 1',
    ]);
    expect(issuesOf({ filters: [{ regex: { type: 'a.*' } }] })).toEqual([
      'spec.filters[0].regex: unknown field; expected one of exact, prefix, suffix, all, any, not, cesql',
    ]);
    expect(issuesOf({ filter: { attributes: { type: 'a' }, extensions: {} } })).toEqual([
      'spec.filter.extensions: unknown field; expected one of attributes',
    ]);
    expect(issuesOf({ filters: [{ all: { exact: { type: 'a' } } }] })).toEqual([
      'spec.filters[0].all: must be a list of filters, got an object',
    ]);
    expect(issuesOf({ filters: [{ any: {} }] })).toEqual([
      'spec.filters[0].any: has the wrong type: an object',
    ]);
    expect(issuesOf(null)).toEqual(['spec: must be an object, got null']);
  });

  it('reports every problem at once, nested paths included, under the given path', () => {
    const issues = issuesOf(
      {
        filter: { attributes: { type: 3 } },
        filters: [
          { all: [{ exact: { type: 'a' } }, { any: [{ not: { exact: {} as Record<string, string> } }] }] },
          { not: { suffix: { a: 'x', b: 'y' } } },
        ],
      },
      'documents[3].spec',
    );
    expect(issues).toEqual([
      'documents[3].spec.filter.attributes.type: must be a string, got number 3',
      'documents[3].spec.filters[1].not.suffix: must name exactly one attribute, found 2',
    ]);
  });

  it('gives a ConfigError whose message names the paths', () => {
    expect(() => compileFilter({ filters: [{ exact: { type: '' } }] })).toThrow(
      /invalid Trigger filter: spec\.filters\[0\]\.exact\.type: value must not be empty/,
    );
  });

  it('ignores the rest of a whole Trigger spec and treats null fields as absent', () => {
    const spec = {
      broker: 'default',
      subscriber: { uri: 'http://x' },
      filter: null,
      filters: [{ exact: { type: 'a' }, all: null }],
    };
    const filter = compileFilter(spec as unknown as TriggerFilterSpec);
    expect(filter.spec).toEqual({ filters: [{ exact: { type: 'a' } }] });
    expect(filter.matches(makeEvent({ type: 'a' }))).toBe(true);
    expect(filter.matches(makeEvent({ type: 'b' }))).toBe(false);
  });
});

describe('filterToJSON and compiled spec', () => {
  it('keeps a frozen, JSON-safe copy of the spec', () => {
    const spec: TriggerFilterSpec = {
      filter: { attributes: { type: 'a' } },
      filters: [{ not: { prefix: { source: 's' } } }],
    };
    const filter = compileFilter(spec);
    expect(filter.spec).toEqual(spec);
    expect(filter.spec).not.toBe(spec);
    expect(Object.isFrozen(filter.spec)).toBe(true);
    expect(Object.isFrozen(filter.spec.filters?.[0]?.not)).toBe(true);
    spec.filters = [];
    expect(filter.spec.filters).toHaveLength(1);
  });

  it('round-trips through JSON text', () => {
    const spec: TriggerFilterSpec = {
      filters: [
        { any: [{ exact: { type: 'a' } }, { suffix: { source: '/x' } }] },
        { not: { exact: { subject: 'no' } } },
      ],
    };
    const copy = compileFilter(JSON.parse(JSON.stringify(filterToJSON(spec))) as TriggerFilterSpec);
    expect(copy.spec).toEqual(spec);
    const events = [
      makeEvent({ type: 'a', source: 's' }),
      makeEvent({ type: 'b', source: 'y/x' }),
      makeEvent({ type: 'a', source: 's', subject: 'no' }),
      makeEvent({ type: 'c' }),
    ];
    expect(events.map((e) => copy.evaluate(e))).toEqual(['pass', 'pass', 'fail', 'fail']);
  });
});
