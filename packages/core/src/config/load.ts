/**
 * The loader: files and directories → validated, cross-checked, secret-resolved, frozen config.
 * Every problem in every file is collected before throwing one ConfigError, so a user fixes them
 * all in one pass.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import type { ConfigIssue } from '../errors.js';
import { configErrorFrom } from './issues.js';
import type { KindName } from './kinds.js';
import type { BrokerResource, KafkaSinkResource, KafkaSourceResource, TriggerResource } from './knative.js';
import { type GatewaySettings, type LoadedConfig, resourceKey } from './loaded-config.js';
import type {
  BridgeResource,
  ConnectionResource,
  GatewayResource,
  PeerResource,
  SinkResource,
  SourceResource,
} from './meshgate.js';
import { type ParsedResource, parseDocuments } from './parse-documents.js';
import { pathInDocument } from './resource.js';
import { checkReferences } from './references.js';
import { formatPath } from './issues.js';
import { type SecretEnvironment, SecretValue, resolveSecret } from './secrets.js';

export interface LoadOptions {
  /** Where secrets `{valueFrom: {env}}` and `secretKeyRef` are read (default process.env). */
  env?: Record<string, string | undefined>;
  /** Reads secret files (default fs.readFileSync); relative paths are against the config file's directory. */
  readSecretFile?: (path: string) => string;
}

/** One configuration source: its name (a path, shown in errors) and its text. */
export interface ConfigText {
  file: string;
  text: string;
}

/**
 * Parses and validates configuration text (one or more YAML documents). Throws ConfigError
 * listing every problem.
 */
export function parseConfigText(
  text: string,
  fileName = '<inline>',
  options: LoadOptions = {},
): LoadedConfig {
  return buildConfig([{ file: fileName, text }], options);
}

/**
 * Reads files and directories (`*.yaml`/`*.yml` in a directory, not hidden, sorted by name, not recursive)
 * and loads them as one configuration. Throws ConfigError listing every problem, including
 * unreadable paths.
 */
export async function loadConfig(paths: readonly string[], options: LoadOptions = {}): Promise<LoadedConfig> {
  const { texts, issues } = await readConfigTexts(paths);
  if (issues.length > 0) throw configErrorFrom(issues);
  return buildConfig(texts, options);
}

/** Lists the files `paths` stand for and reads them. */
export async function readConfigTexts(
  paths: readonly string[],
): Promise<{ texts: ConfigText[]; issues: ConfigIssue[] }> {
  const texts: ConfigText[] = [];
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  if (paths.length === 0) issues.push({ path: '', message: 'no configuration file or directory given' });
  for (const path of paths) {
    try {
      const info = await stat(path);
      const files = info.isDirectory()
        ? (await readdir(path))
            // Hidden files are skipped: editor lock and swap files, Kubernetes' `..data` entries.
            .filter(
              (name) => !name.startsWith('.') && ['.yaml', '.yml'].includes(extname(name).toLowerCase()),
            )
            .sort()
            .map((name) => join(path, name))
        : [path];
      for (const file of files) {
        // The same file named twice (itself and through its directory) is read once.
        if (seen.has(resolve(file))) continue;
        seen.add(resolve(file));
        texts.push({ file, text: await readFile(file, 'utf8') });
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      issues.push({
        file: path,
        path: '',
        message: code === 'ENOENT' ? 'no such file or directory' : `cannot read: ${(err as Error).message}`,
      });
    }
  }
  return { texts, issues };
}

/** Validates and assembles already-read texts. Throws ConfigError. */
export function buildConfig(texts: readonly ConfigText[], options: LoadOptions = {}): LoadedConfig {
  const parsed: ParsedResource[] = [];
  const issues: ConfigIssue[] = [];
  for (const { file, text } of texts) {
    const result = parseDocuments(text, file);
    parsed.push(...result.resources);
    issues.push(...result.issues);
  }
  issues.push(...checkReferences(parsed));
  for (const p of parsed) issues.push(...resolveSecrets(p, options));
  if (issues.length === 0) for (const p of parsed) issues.push(...checkResolvedCredentials(p));
  if (issues.length > 0) {
    // In reading order: by file, then document (the sort is stable within a document).
    const fileOrder = new Map(texts.map((t, i) => [t.file, i]));
    const rank = (i: ConfigIssue) => [fileOrder.get(i.file ?? '') ?? -1, i.document ?? -1] as const;
    issues.sort((a, b) => {
      const [fa, da] = rank(a);
      const [fb, db] = rank(b);
      return fa - fb || da - db;
    });
    throw configErrorFrom(issues);
  }
  return assemble(
    parsed,
    texts.map((t) => t.file),
  );
}

/** Resolves every SecretValue in a resource; an optional one that is absent is removed. */
function resolveSecrets(p: ParsedResource, options: LoadOptions): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const environment: SecretEnvironment = {
    env: options.env ?? process.env,
    baseDir: dirname(resolve(p.resource.origin.file)),
  };
  if (options.readSecretFile) environment.readFile = options.readSecretFile;
  const visit = (value: unknown, path: PropertyKey[]): void => {
    if (value instanceof SecretValue) {
      const problem = resolveSecret(value, environment);
      if (problem !== undefined) {
        issues.push({
          file: p.resource.origin.file,
          document: p.resource.origin.document,
          path: pathInDocument(p.resource.origin, formatPath(path)),
          message: problem,
        });
      }
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        visit(v, [...path, i]);
      });
    } else if (value !== null && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      for (const [k, v] of Object.entries(record)) {
        // KafkaSink credentials: each key of the named secret is optional.
        if (
          v instanceof SecretValue &&
          v.source.kind === 'secretKeyRef' &&
          v.source.optional &&
          !v.resolved
        ) {
          const env = environment.env[v.source.env];
          if (env === undefined) {
            delete record[k];
            continue;
          }
        }
        visit(v, [...path, k]);
      }
    }
  };
  visit(p.resource, []);
  return issues;
}

const KAFKA_SASL_TYPES = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** Checks that need secret values: a KafkaSource's SASL type and credential pairs. */
function checkResolvedCredentials(p: ParsedResource): ConfigIssue[] {
  if (p.kind !== 'KafkaSource') return [];
  const source = p.resource as unknown as KafkaSourceResource;
  const issues: ConfigIssue[] = [];
  const at = (path: string, message: string) =>
    issues.push({
      file: source.origin.file,
      document: source.origin.document,
      path: pathInDocument(source.origin, path),
      message,
    });
  const sasl = source.spec.net?.sasl;
  if (sasl?.enable) {
    const type = sasl.type?.reveal() || 'PLAIN';
    if (!KAFKA_SASL_TYPES.includes(type)) {
      at('spec.net.sasl.type', `SASL type '${type}' is not supported (use ${KAFKA_SASL_TYPES.join(', ')})`);
    }
    if (sasl.user === undefined) at('spec.net.sasl.user', 'is required when sasl.enable is true');
    if (sasl.password === undefined) at('spec.net.sasl.password', 'is required when sasl.enable is true');
  }
  const tls = source.spec.net?.tls;
  if (tls?.enable && (tls.cert === undefined) !== (tls.key === undefined)) {
    at('spec.net.tls', 'cert and key go together (a client certificate needs its key)');
  }
  return issues;
}

function assemble(parsed: readonly ParsedResource[], files: string[]): LoadedConfig {
  const of = <T>(kind: KindName) =>
    parsed.filter((p) => p.kind === kind).map((p) => p.resource as unknown as T);
  const connections = new Map<string, ConnectionResource>();
  for (const c of of<ConnectionResource>('Connection'))
    connections.set(resourceKey(c.metadata.namespace, c.metadata.name), c);
  const config: LoadedConfig = {
    gateway: gatewaySettings(of<GatewayResource>('Gateway')[0]),
    connections,
    brokers: of<BrokerResource>('Broker'),
    triggers: of<TriggerResource>('Trigger'),
    kafkaSources: of<KafkaSourceResource>('KafkaSource'),
    kafkaSinks: of<KafkaSinkResource>('KafkaSink'),
    sources: parsed
      .filter((p) => p.kind === 'RabbitmqSource' || p.kind === 'NatsSource' || p.kind === 'PubSubSource')
      .map((p) => p.resource as unknown as SourceResource),
    sinks: parsed
      .filter((p) => p.kind === 'RabbitmqSink' || p.kind === 'NatsSink' || p.kind === 'PubSubSink')
      .map((p) => p.resource as unknown as SinkResource),
    peers: of<PeerResource>('Peer'),
    bridges: of<BridgeResource>('Bridge'),
    files,
  };
  return deepFreeze(config);
}

function gatewaySettings(doc: GatewayResource | undefined): GatewaySettings {
  if (doc === undefined) {
    return {
      // Gateway ids travel in federation routes: lower-case host names fit their rules.
      id: hostname().toLowerCase() || 'meshgate',
      http: { host: '0.0.0.0', port: 8080, maxBodyBytes: 1_048_576 },
      admin: {},
      logging: { level: 'info' },
    };
  }
  const admin: GatewaySettings['admin'] = {};
  if (doc.spec.admin.token !== undefined) admin.token = doc.spec.admin.token;
  return {
    id: doc.spec.id ?? doc.metadata.name,
    http: { ...doc.spec.http },
    admin,
    logging: { ...doc.spec.logging },
    ...(doc.spec.kyma && { kyma: { ...doc.spec.kyma } }),
    ...(doc.spec.security && { security: doc.spec.security }),
    ...(doc.spec.federation && { federation: doc.spec.federation }),
    origin: doc.origin,
  };
}

/** Freezes plain objects and arrays all the way down (Maps are exposed as ReadonlyMap). */
function deepFreeze<T>(value: T): T {
  if (value instanceof Map) {
    for (const v of value.values()) deepFreeze(v);
    return value;
  }
  if (value instanceof SecretValue) return Object.freeze(value);
  // Only plain data is frozen (typed arrays, for one, cannot be).
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  const prototype = Object.getPrototypeOf(value);
  if (Array.isArray(value) || prototype === Object.prototype || prototype === null) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
