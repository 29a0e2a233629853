/**
 * Static bearer tokens. Each token has a name (used in policies and logs) and a value (a secret,
 * from an environment variable or a file). Presented tokens are looked up by their SHA-256, so the
 * comparison never depends on how many leading characters match, and values are never kept in
 * plain form beyond the SecretValue they came from.
 */
import { createHash } from 'node:crypto';
import { ConfigError, type SecretValue } from '@meshgate/core';

export interface StaticToken {
  /** Shown in logs and matched by policies' `from: [{token}]`; never the value. */
  name: string;
  value: SecretValue | string;
}

export class StaticTokens {
  private readonly byDigest = new Map<string, string>();

  /** @throws ConfigError when two tokens share a name or a value, or a value is empty. */
  constructor(tokens: readonly StaticToken[]) {
    const names = new Set<string>();
    tokens.forEach((t, i) => {
      const value = typeof t.value === 'string' ? t.value : t.value.reveal();
      const path = `auth.tokens[${i}]`;
      if (value.length === 0)
        throw new ConfigError(`${path}: token '${t.name}' has an empty value`, [
          { path, message: 'empty value' },
        ]);
      if (names.has(t.name))
        throw new ConfigError(`${path}: token name '${t.name}' is used twice`, [
          { path, message: 'duplicate name' },
        ]);
      const d = digest(value);
      if (this.byDigest.has(d))
        throw new ConfigError(`${path}: token '${t.name}' has the same value as '${this.byDigest.get(d)}'`, [
          { path, message: 'duplicate value' },
        ]);
      names.add(t.name);
      this.byDigest.set(d, t.name);
    });
  }

  get size(): number {
    return this.byDigest.size;
  }

  /** The name of the token with this value, or undefined. */
  identify(presented: string): string | undefined {
    return this.byDigest.get(digest(presented));
  }
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64');
}
