/**
 * Credentials in configuration. A secret is never required inline: it can come from an
 * environment variable, a file, or a Knative/Kubernetes `secretKeyRef` (resolved from the
 * environment variable `<SECRETNAME>_<KEY>`, upper-cased, every other character than A-Z and 0-9
 * turned into `_`). Resolved values are wrapped in {@link SecretValue}, which redacts itself in
 * logs, JSON and `util.inspect`, so a config dumped by the admin API never leaks them.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { inspect } from 'node:util';
import { z } from 'zod';

/** Where a secret comes from, as written in the config. */
export type SecretSource =
  | { kind: 'inline' }
  | { kind: 'env'; name: string }
  | { kind: 'file'; path: string }
  | { kind: 'secretKeyRef'; secret: string; key: string; env: string; optional: boolean };

const REDACTED = '[redacted]';

/**
 * A credential. `reveal()` gives the value to the code that needs it (a client library);
 * everything else (String(), JSON.stringify, console.log) sees `[redacted]`.
 */
export class SecretValue {
  #value: string | undefined;

  constructor(
    readonly source: SecretSource,
    value?: string,
  ) {
    this.#value = value;
  }

  /** The secret's value. Throws when it was never resolved (a bug, not a config error). */
  reveal(): string {
    if (this.#value === undefined) {
      throw new Error(`secret from ${describeSecretSource(this.source)} was not resolved`);
    }
    return this.#value;
  }

  /** True once a value is known (inline, or resolved at load). */
  get resolved(): boolean {
    return this.#value !== undefined;
  }

  /** @internal called once by the loader. */
  setValue(value: string): void {
    this.#value = value;
  }

  /** Same source and same value: used by diffConfig, so a rotated password counts as a change. */
  equals(other: SecretValue): boolean {
    return (
      describeSecretSource(this.source) === describeSecretSource(other.source) && this.#value === other.#value
    );
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `SecretValue(${describeSecretSource(this.source)})`;
  }
}

/** `env MY_VAR`, `file /run/secrets/x`, `secretKeyRef kafka/password (env KAFKA_PASSWORD)`. */
export function describeSecretSource(source: SecretSource): string {
  switch (source.kind) {
    case 'inline':
      return 'inline value';
    case 'env':
      return `env ${source.name}`;
    case 'file':
      return `file ${source.path}`;
    case 'secretKeyRef':
      return `secretKeyRef ${source.secret}/${source.key} (env ${source.env})`;
  }
}

/** The environment variable a Knative `secretKeyRef {name, key}` is read from. */
export function secretKeyRefEnvName(secretName: string, key: string): string {
  return `${secretName}_${key}`.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

const envNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)');

const valueFromSchema = z.strictObject({
  valueFrom: z.union([
    z.strictObject({ env: envNameSchema }).describe('Read the secret from this environment variable.'),
    z
      .strictObject({ file: z.string().min(1) })
      .describe('Read the secret from this file (trailing newline removed).'),
  ]),
});

const secretKeySelectorSchema = z.strictObject({
  name: z.string().min(1),
  key: z.string().min(1),
  optional: z.boolean().optional(),
});

const secretKeyRefSchema = z.strictObject({ secretKeyRef: secretKeySelectorSchema });

/**
 * A credential field: an inline string, `{valueFrom: {env}}`, `{valueFrom: {file}}` or Knative's
 * `{secretKeyRef: {name, key}}`. Parses into an unresolved {@link SecretValue}; the loader resolves it.
 */
export const secretSchema = z
  .union([z.string(), valueFromSchema, secretKeyRefSchema])
  .describe(
    'A secret: inline string, {valueFrom: {env: NAME}}, {valueFrom: {file: path}}, or {secretKeyRef: {name, key}} read from env <NAME>_<KEY> upper-cased.',
  )
  .transform((input): SecretValue => {
    if (typeof input === 'string') return new SecretValue({ kind: 'inline' }, input);
    if ('secretKeyRef' in input) {
      const { name, key, optional } = input.secretKeyRef;
      return new SecretValue({
        kind: 'secretKeyRef',
        secret: name,
        key,
        env: secretKeyRefEnvName(name, key),
        optional: optional ?? false,
      });
    }
    const from = input.valueFrom;
    return 'env' in from
      ? new SecretValue({ kind: 'env', name: from.env })
      : new SecretValue({ kind: 'file', path: from.file });
  })
  .meta({ id: 'Secret' });

/** How the loader reads the outside world; replaceable in tests. */
export interface SecretEnvironment {
  env: Record<string, string | undefined>;
  /** Directory relative secret file paths are resolved against (the config file's directory). */
  baseDir: string;
  readFile?: (path: string) => string;
}

/**
 * Fills in a secret's value. Returns an error message naming the missing variable or file, or
 * undefined when resolved. An optional secretKeyRef that is absent resolves to an empty string.
 */
export function resolveSecret(secret: SecretValue, environment: SecretEnvironment): string | undefined {
  const source = secret.source;
  switch (source.kind) {
    case 'inline':
      return undefined;
    case 'env': {
      const value = environment.env[source.name];
      if (value === undefined) return `environment variable ${source.name} is not set`;
      secret.setValue(value);
      return undefined;
    }
    case 'secretKeyRef': {
      const value = environment.env[source.env];
      if (value === undefined) {
        if (source.optional) {
          secret.setValue('');
          return undefined;
        }
        return `secretKeyRef ${source.secret}/${source.key}: environment variable ${source.env} is not set`;
      }
      secret.setValue(value);
      return undefined;
    }
    case 'file': {
      const path = isAbsolute(source.path) ? source.path : resolvePath(environment.baseDir, source.path);
      try {
        const read = environment.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
        secret.setValue(read(path).replace(/\r?\n$/, ''));
        return undefined;
      } catch (err) {
        const reason = err instanceof Error && 'code' in err ? String(err.code) : String(err);
        return `cannot read secret file ${path} (${reason})`;
      }
    }
  }
}
