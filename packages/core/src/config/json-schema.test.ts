import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, configJsonSchemaText } from './json-schema.js';
import { KIND_NAMES } from './kinds.js';

const committed = fileURLToPath(new URL('../../schema/meshgate-config.schema.json', import.meta.url));

describe('JSON Schema for editors', () => {
  it('the committed file is the one generated from the zod schemas (run packages/core/schema/generate.ts)', () => {
    // Compared as data: biome may re-format the committed file's whitespace.
    expect(JSON.parse(readFileSync(committed, 'utf8'))).toEqual(JSON.parse(configJsonSchemaText()));
  });

  it('has one definition per kind, picked by `kind`, strict on unknown fields', () => {
    const schema = configJsonSchema() as {
      allOf: { if: { properties: { kind: { const: string } } }; then: { $ref: string } }[];
      definitions: Record<string, { additionalProperties?: boolean; properties?: Record<string, unknown> }>;
    };
    expect(schema.allOf.map((b) => b.if.properties.kind.const)).toEqual(KIND_NAMES);
    for (const kind of KIND_NAMES) {
      expect(schema.allOf.find((b) => b.if.properties.kind.const === kind)?.then.$ref).toBe(
        `#/definitions/${kind}`,
      );
      expect(schema.definitions[kind]?.additionalProperties).toBe(false);
    }
    // Every $ref points at a definition that exists.
    const text = JSON.stringify(schema);
    for (const [, name] of text.matchAll(/"\$ref":"#\/definitions\/([^"]+)"/g)) {
      expect(schema.definitions).toHaveProperty([name as string]);
    }
  });
});
