/**
 * One client per middleware cluster: a meshgate Connection (any of the four kinds), or the
 * inline `bootstrapServers` + `net` of a Knative KafkaSource/KafkaSink. Clients are created on
 * first use, shared by every channel, sink and source on the same cluster, and closed together.
 */
import { createHash } from 'node:crypto';
import {
  ConfigError,
  type ConnectionResource,
  type KafkaNet,
  type KafkaSinkCredentials,
  type Logger,
  SecretValue,
  type TlsSettings,
} from '@meshgate/core';
import { createKafkaClient, type KafkaClient, type KafkaClientOptions } from '@meshgate/kafka';
import type { NatsAuth, NatsEndpoint, NatsTls } from '@meshgate/nats';
import { createPubSubConnection, type PubSubConnection } from '@meshgate/pubsub';
import type { ConnectionOptions } from 'node:tls';

type SASLOptions = NonNullable<KafkaClientOptions['sasl']>;

/** What a component needs to reach a Connection's cluster, by middleware. */
export type ConnectionClient =
  | { type: 'kafka'; kafka: KafkaClient }
  | { type: 'rabbitmq'; url: string }
  /** `servers` is the cluster with its credentials: what every NATS component takes as `servers`. */
  | { type: 'nats'; servers: NatsEndpoint }
  | { type: 'pubsub'; pubsub: PubSubConnection };

/** The client as the type a component needs; a Connection of another kind is a ConfigError. */
export function clientOfType<T extends ConnectionClient['type']>(
  client: ConnectionClient,
  type: T,
  what: string,
): Extract<ConnectionClient, { type: T }> {
  if (client.type !== type) {
    throw new ConfigError(`${what}: its connection is a ${client.type} connection, not ${type}`, [
      { path: 'spec.connection', message: `expected a ${type} Connection` },
    ]);
  }
  return client as Extract<ConnectionClient, { type: T }>;
}

export class ConnectionPool {
  /** By `<key>#<fingerprint>`: a changed Connection gets a new client, the old one stays for its users. */
  private readonly clients = new Map<string, ConnectionClient>();

  constructor(
    /** The current logger (the runtime gets the gateway's at apply). */
    private readonly logger: () => Logger,
    private readonly clientIdPrefix: () => string,
  ) {}

  /** The client of a meshgate Connection (created on first use). */
  forConnection(key: string, connection: ConnectionResource): ConnectionClient {
    const id = `${key}#${fingerprint(connection.spec)}`;
    let client = this.clients.get(id);
    if (!client) {
      client = createClient(key, connection, this.logger().child({ connection: key }), this.clientIdPrefix());
      this.clients.set(id, client);
    }
    return client;
  }

  /** The Kafka client of a Knative resource's inline cluster (KafkaSource, KafkaSink). */
  forKafkaServers(servers: readonly string[], net: KafkaNet | undefined, what: string): KafkaClient {
    const id = `kafka:${servers.join(',')}#${fingerprint(net ?? {})}`;
    const existing = this.clients.get(id);
    if (existing?.type === 'kafka') return existing.kafka;
    const kafka = createKafkaClient({
      brokers: servers,
      clientId: this.clientIdPrefix(),
      logger: this.logger().child({ kafka: servers.join(',') }),
      ...kafkaNetOptions(net, what),
    });
    this.clients.set(id, { type: 'kafka', kafka });
    return kafka;
  }

  async close(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(
      all.map(async (c) => {
        if (c.type === 'pubsub') await c.pubsub.close().catch(() => {});
      }),
    );
  }
}

function createClient(
  key: string,
  connection: ConnectionResource,
  logger: Logger,
  clientId: string,
): ConnectionClient {
  const spec = connection.spec;
  switch (connection.type) {
    case 'kafka': {
      const k = spec.kafka as NonNullable<typeof spec.kafka>;
      return {
        type: 'kafka',
        kafka: createKafkaClient({
          brokers: k.bootstrapServers,
          clientId: k.clientId ?? clientId,
          label: `connection ${key}`,
          logger,
          ...(k.sasl && {
            sasl: {
              mechanism: k.sasl.mechanism,
              username: k.sasl.user.reveal(),
              password: k.sasl.password.reveal(),
            } as SASLOptions,
          }),
          ...(k.tls && { ssl: tlsOptions(k.tls) }),
        }),
      };
    }
    case 'rabbitmq': {
      const r = spec.rabbitmq as NonNullable<typeof spec.rabbitmq>;
      return { type: 'rabbitmq', url: rabbitmqUrl(key, r) };
    }
    case 'nats': {
      const n = spec.nats as NonNullable<typeof spec.nats>;
      return { type: 'nats', servers: natsEndpoint(key, n) };
    }
    case 'pubsub': {
      const p = spec.pubsub as NonNullable<typeof spec.pubsub>;
      return {
        type: 'pubsub',
        pubsub: createPubSubConnection({
          name: key,
          projectId: p.projectId,
          ...(p.emulatorHost && { emulatorHost: p.emulatorHost }),
          ...(p.credentialsFile && { credentialsFile: p.credentialsFile }),
        }),
      };
    }
  }
}

/**
 * A NATS Connection as an endpoint: the secrets are revealed only when a component connects,
 * so the endpoint logs and serializes without them.
 */
function natsEndpoint(key: string, n: NonNullable<ConnectionResource['spec']['nats']>): NatsEndpoint {
  const { auth, tls } = n;
  if (auth === undefined && (tls === undefined || !tls.enable)) return { servers: [...n.servers], name: key };
  return {
    servers: [...n.servers],
    name: key,
    secure: () => {
      const out: { auth?: NatsAuth; tls?: NatsTls } = {};
      if (auth !== undefined) {
        if ('token' in auth) out.auth = { token: auth.token.reveal() };
        else if ('user' in auth) out.auth = { user: auth.user.reveal(), password: auth.password.reveal() };
        else if ('nkeySeed' in auth) out.auth = { nkeySeed: auth.nkeySeed.reveal() };
        else out.auth = { creds: auth.creds.reveal() };
      }
      if (tls?.enable) {
        out.tls = {
          ...(tls.caCert && { ca: tls.caCert.reveal() }),
          ...(tls.cert && { cert: tls.cert.reveal() }),
          ...(tls.key && { key: tls.key.reveal() }),
          ...(tls.serverName && { serverName: tls.serverName }),
          ...(tls.insecureSkipVerify && { rejectUnauthorized: false }),
        };
      }
      return out;
    },
  };
}

/** The AMQP URL with the Connection's vhost and credentials (which override the URL's). */
function rabbitmqUrl(key: string, r: NonNullable<ConnectionResource['spec']['rabbitmq']>): string {
  let url: URL;
  try {
    url = new URL(r.url.reveal());
  } catch {
    throw new ConfigError(`connection ${key}: spec.rabbitmq.url is not a URL`, [
      { path: 'spec.rabbitmq.url', message: 'expected amqp://host:port/vhost' },
    ]);
  }
  if (r.username) url.username = encodeURIComponent(r.username.reveal());
  if (r.password) url.password = encodeURIComponent(r.password.reveal());
  if (r.vhost !== undefined) url.pathname = `/${encodeURIComponent(r.vhost)}`;
  if (r.heartbeatSeconds !== undefined) url.searchParams.set('heartbeat', String(r.heartbeatSeconds));
  if (r.tls?.enable) {
    // The RabbitMQ components take a URL only (amqps:// verifies against Node's CAs, to which
    // NODE_EXTRA_CA_CERTS adds); refusing beats connecting without the configured TLS settings.
    const { caCert, cert, key: tlsKey, serverName, insecureSkipVerify } = r.tls;
    const unsupported = Object.entries({ caCert, cert, key: tlsKey, serverName })
      .filter(([, v]) => v !== undefined)
      .map(([f]) => f);
    if (insecureSkipVerify) unsupported.push('insecureSkipVerify');
    if (unsupported.length > 0) {
      throw new ConfigError(
        `connection ${key}: spec.rabbitmq.tls supports only enable yet (a CA through NODE_EXTRA_CA_CERTS); remove ${unsupported.join(', ')}`,
        unsupported.map((f) => ({
          path: `spec.rabbitmq.tls.${f}`,
          message: 'not supported for RabbitMQ yet',
        })),
      );
    }
    if (url.protocol === 'amqp:') url.protocol = 'amqps:';
  }
  return url.toString();
}

function tlsOptions(tls: TlsSettings): boolean | ConnectionOptions {
  if (!tls.enable) return false;
  return {
    ...(tls.caCert && { ca: tls.caCert.reveal() }),
    ...(tls.cert && { cert: tls.cert.reveal() }),
    ...(tls.key && { key: tls.key.reveal() }),
    ...(tls.serverName && { servername: tls.serverName }),
    rejectUnauthorized: !tls.insecureSkipVerify,
  };
}

/**
 * A KafkaSink's `auth.secret.ref` (Knative's secret keys: `protocol`, `sasl.mechanism`, `user`,
 * `password`, `ca.crt`, `user.crt`, `user.key`) as the `net` block a KafkaSource would have.
 * `protocol` is PLAINTEXT (default), SASL_PLAINTEXT, SSL or SASL_SSL.
 */
export function kafkaSinkNet(
  credentials: KafkaSinkCredentials | undefined,
  what: string,
): KafkaNet | undefined {
  if (credentials === undefined) return undefined;
  const protocol = (credentials.protocol?.reveal() || 'PLAINTEXT').toUpperCase();
  if (!['PLAINTEXT', 'SASL_PLAINTEXT', 'SSL', 'SASL_SSL'].includes(protocol)) {
    throw new ConfigError(`${what}: unsupported protocol ${protocol} in its auth secret`, [
      {
        path: 'spec.auth.secret.ref',
        message: 'protocol must be PLAINTEXT, SASL_PLAINTEXT, SSL or SASL_SSL',
      },
    ]);
  }
  const net: KafkaNet = {};
  if (protocol.startsWith('SASL_')) {
    net.sasl = {
      enable: true,
      user: credentials.user,
      password: credentials.password,
      type: credentials.saslMechanism,
    };
  }
  if (protocol.endsWith('SSL')) {
    net.tls = {
      enable: true,
      cert: credentials.userCert,
      key: credentials.userKey,
      caCert: credentials.caCert,
    };
  }
  return net;
}

/** Knative's `net` block of a KafkaSource as kafkajs options. */
function kafkaNetOptions(
  net: KafkaNet | undefined,
  what: string,
): { sasl?: SASLOptions; ssl?: boolean | ConnectionOptions } {
  const out: { sasl?: SASLOptions; ssl?: boolean | ConnectionOptions } = {};
  if (net?.sasl?.enable) {
    const type = (net.sasl.type?.reveal() || 'PLAIN').toLowerCase();
    if (type !== 'plain' && type !== 'scram-sha-256' && type !== 'scram-sha-512') {
      throw new ConfigError(`${what}: unsupported SASL type ${type}`, [
        { path: 'spec.net.sasl.type', message: 'expected PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512' },
      ]);
    }
    out.sasl = {
      mechanism: type,
      username: net.sasl.user?.reveal() ?? '',
      password: net.sasl.password?.reveal() ?? '',
    } as SASLOptions;
  }
  if (net?.tls?.enable) {
    const t = net.tls;
    out.ssl =
      t.caCert || t.cert || t.key
        ? {
            ...(t.caCert && { ca: t.caCert.reveal() }),
            ...(t.cert && { cert: t.cert.reveal() }),
            ...(t.key && { key: t.key.reveal() }),
          }
        : true;
  }
  return out;
}

/**
 * A stable digest of a spec, secrets included (hashed, never logged), so that a rotated
 * password counts as a change while `toJSON` keeps them redacted everywhere else.
 */
export function fingerprint(value: unknown): string {
  // A function replacer sees the value after toJSON; `this[k]` is the SecretValue itself.
  const json = JSON.stringify(value, function (this: Record<string, unknown>, k: string, v: unknown) {
    const raw = this[k];
    if (raw instanceof SecretValue) return `secret:${raw.resolved ? hash(raw.reveal()) : 'unresolved'}`;
    if (v instanceof SecretValue) return `secret:${v.resolved ? hash(v.reveal()) : 'unresolved'}`;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
      );
    }
    return v;
  });
  return hash(json ?? '');
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
