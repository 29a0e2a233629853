/**
 * The JSON Schema of a configuration document, generated from the zod schemas (the same ones the
 * loader validates with), for editors: `# yaml-language-server: $schema=<path>/meshgate-config.schema.json`.
 * The committed file `packages/core/schema/meshgate-config.schema.json` is checked against this
 * by a test; regenerate it with `npx tsx packages/core/schema/generate.ts`.
 */
import { z } from 'zod';
import { KIND_NAMES, KINDS } from './kinds.js';

export const CONFIG_SCHEMA_ID = 'https://meshgate.io/schema/v1alpha1/meshgate-config.schema.json';

type JsonObject = Record<string, unknown>;

/**
 * One schema for any document: `kind` picks the kind's schema (if/then), so an editor reports the
 * errors of that kind only, not of every alternative.
 */
export function configJsonSchema(): JsonObject {
  const union = z.union(
    KIND_NAMES.map((name) => KINDS[name].schema) as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]],
  );
  const generated = z.toJSONSchema(union, {
    io: 'input',
    target: 'draft-7',
    unrepresentable: 'any',
  }) as JsonObject;
  const alternatives = (generated.anyOf ?? []) as JsonObject[];
  const definitions = { ...((generated.definitions ?? {}) as JsonObject) };
  const branches = KIND_NAMES.map((kind, i) => {
    definitions[kind] = alternatives[i];
    return {
      if: { properties: { kind: { const: kind } }, required: ['kind'] },
      // biome-ignore lint/suspicious/noThenProperty: `then` is a JSON Schema keyword
      then: { $ref: `#/definitions/${kind}` },
    };
  });
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: CONFIG_SCHEMA_ID,
    title: 'meshgate configuration document',
    description:
      'One YAML document of a meshgate configuration: a Knative Broker, Trigger, KafkaSource or KafkaSink, or a meshgate.io/v1alpha1 kind.',
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata'],
    properties: {
      apiVersion: { type: 'string' },
      kind: { enum: KIND_NAMES },
    },
    allOf: branches,
    definitions,
  };
}

/** The schema as committed: pretty-printed JSON with a final newline. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
