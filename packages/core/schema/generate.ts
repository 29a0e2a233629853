/**
 * Writes meshgate-config.schema.json from the config zod schemas, formatted as the repo's biome
 * formats JSON (so that `npm run lint` stays clean after a regeneration).
 * Run: npx tsx packages/core/schema/generate.ts
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configJsonSchemaText } from '../src/config/json-schema.js';

const target = fileURLToPath(new URL('./meshgate-config.schema.json', import.meta.url));
const biome = fileURLToPath(new URL('../../../node_modules/.bin/biome', import.meta.url));
writeFileSync(target, configJsonSchemaText());
execFileSync(biome, ['format', '--write', target], { stdio: 'ignore' });
console.log(`wrote ${target}`);
