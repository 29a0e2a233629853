/** Every complete YAML example in docs/configuration.md loads (fragments start with `# fragment`). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KIND_NAMES, parseConfigText } from './index.js';

const doc = readFileSync(
  fileURLToPath(new URL('../../../../docs/configuration.md', import.meta.url)),
  'utf8',
);
const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
const complete = blocks.filter((b) => !b.startsWith('# fragment'));
const env = { MESHGATE_ADMIN_TOKEN: 'a', WEST_TOKEN: 'w', RABBITMQ_URL: 'amqp://127.0.0.1' };

describe('docs/configuration.md', () => {
  it('has complete examples', () => {
    expect(complete.length).toBeGreaterThanOrEqual(8);
  });

  it.each(complete.map((b, i) => [i, b] as const))('example %i loads', (_i, block) => {
    const readSecretFile = () => 'PEM';
    expect(() => parseConfigText(block, 'docs.yaml', { env, readSecretFile })).not.toThrow();
  });

  it('documents every kind', () => {
    for (const kind of KIND_NAMES) expect(doc).toContain(kind);
  });
});
