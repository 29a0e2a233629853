/**
 * Property: any text, YAML-ish or not, loads into a LoadedConfig or is refused with a
 * ConfigError; nothing else is ever thrown.
 */
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { KIND_NAMES, parseConfigText } from './index.js';

function loadsOrConfigError(text: string): void {
  try {
    parseConfigText(text, 'fuzz.yaml', { env: { A: 'a' } });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    expect(err.issues.length).toBeGreaterThan(0);
  }
}

const apiVersions = [
  'eventing.knative.dev/v1',
  'eventing.knative.dev/v1alpha1',
  'sources.knative.dev/v1',
  'meshgate.io/v1alpha1',
  'v1',
];
const words = fc.constantFrom(
  'default',
  'b',
  'uri',
  'ref',
  'spec',
  'broker',
  'filters',
  'cesql',
  'exact',
  'type',
  'http://x/',
  'PT1S',
  '',
  'valueFrom',
  'env',
  'file',
  'secretKeyRef',
  'connection',
  'sink',
  'subscriber',
  'kafka',
  'meshgate.io/buffer-size',
  'constructor',
  'toString',
  '__proto__',
  'items',
);
const value: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    words,
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(words, tie('v'), { maxKeys: 4 }),
  ),
})).v;
const document = fc.record(
  {
    apiVersion: fc.constantFrom(...apiVersions),
    kind: fc.constantFrom(...KIND_NAMES, 'Foo'),
    metadata: fc.record(
      { name: fc.constantFrom('a', 'b', 'Bad_Name'), annotations: fc.dictionary(words, words) },
      { requiredKeys: ['name'] },
    ),
    spec: value,
    extra: value,
  },
  { requiredKeys: ['kind'] },
);

describe('fuzz: parseConfigText never throws anything but ConfigError', () => {
  it('on arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), loadsOrConfigError), { numRuns: 300 });
  });

  it('on YAML-ish text (documents of known kinds with random specs, mangled)', () => {
    fc.assert(
      fc.property(
        fc.array(document, { minLength: 1, maxLength: 4 }),
        fc.nat(),
        fc.oneof(
          fc.string({ maxLength: 5 }),
          // YAML features that turn into non-plain values or references.
          fc.constantFrom(
            ' !!binary aGVsbG8=',
            ' !!set {a}',
            ' !!omap [{a: 1}]',
            ' &a x',
            ' *a',
            ' 2001-12-14t21:59:43Z',
            '\n<<: {a: 1}\n',
          ),
        ),
        (docs, cut, junk) => {
          const text = docs.map((d) => stringify(d)).join('---\n');
          loadsOrConfigError(text);
          const at = cut % (text.length + 1);
          loadsOrConfigError(text.slice(0, at) + junk + text.slice(at));
        },
      ),
      { numRuns: 300 },
    );
  });
});
