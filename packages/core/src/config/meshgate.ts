/**
 * meshgate's own kinds, `apiVersion: meshgate.io/v1alpha1`: Connection (one middleware cluster),
 * Gateway (process settings), the RabbitMQ/NATS/Pub/Sub Sources and Sinks, Peer and Bridge.
 * Sources follow Knative eventing-rabbitmq's RabbitmqSource shape (`sink`, `delivery`,
 * `rabbitmqResourcesConfig`) with `connection: <name>` in place of a cluster reference.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { SOURCE_ANNOTATIONS } from './annotation-specs.js';
import { parseAnnotations } from './annotations.js';
import {
  attributesFilterSchema,
  ceOverridesSchema,
  contentModeSchema,
  deliverySpecSchema,
  destinationSchema,
  filtersSchema,
  isoDurationSchema,
  namespaceSchema,
  resourceNameSchema,
} from './common.js';
import { envelope, type Located } from './resource.js';
import { secretSchema } from './secrets.js';

export const MESHGATE_V1ALPHA1 = 'meshgate.io/v1alpha1';

const connectionNameSchema = resourceNameSchema.describe('Name of a Connection in the same namespace.');

const hostPortList = z.array(z.string().min(1)).min(1);

/** TLS to a middleware or a peer. PEM contents come through secrets (env or file). */
export const tlsSchema = z
  .strictObject({
    enable: z.boolean().default(true),
    caCert: secretSchema.optional().describe('PEM CA bundle to trust (default: system CAs).'),
    cert: secretSchema.optional().describe('PEM client certificate (mTLS).'),
    key: secretSchema.optional().describe('PEM client key (mTLS).'),
    serverName: z.string().optional(),
    insecureSkipVerify: z.boolean().default(false),
  })
  .meta({ id: 'Tls' });
export type TlsSettings = z.output<typeof tlsSchema>;

// ---------------------------------------------------------------------------------------------
// Connection

const kafkaConnectionSchema = z.strictObject({
  bootstrapServers: hostPortList,
  clientId: z.string().min(1).optional().describe('Kafka client id (default meshgate-<gateway id>).'),
  sasl: z
    .strictObject({
      mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
      user: secretSchema,
      password: secretSchema,
    })
    .optional(),
  tls: tlsSchema.optional(),
});

const rabbitmqConnectionSchema = z.strictObject({
  url: secretSchema.describe('amqp:// or amqps:// URL (it may hold credentials: use env or file).'),
  vhost: z.string().optional().describe('Virtual host; overrides the one in the URL.'),
  username: secretSchema.optional(),
  password: secretSchema.optional(),
  heartbeatSeconds: z.int().min(0).optional(),
  tls: tlsSchema.optional(),
});

const natsConnectionSchema = z.strictObject({
  servers: hostPortList.describe('nats://host:port URLs.'),
  name: z.string().optional().describe('Client connection name.'),
  auth: z
    .union(
      [
        z.strictObject({ token: secretSchema }),
        z.strictObject({ user: secretSchema, password: secretSchema }),
        z.strictObject({ creds: secretSchema.describe('Contents of a .creds file (JWT + NKey seed).') }),
        z.strictObject({ nkeySeed: secretSchema }),
      ],
      { error: 'expected one of {token}, {user, password}, {creds} or {nkeySeed}' },
    )
    .optional(),
  tls: tlsSchema.optional(),
});

const pubsubConnectionSchema = z.strictObject({
  projectId: z.string().min(1),
  emulatorHost: z.string().min(1).optional().describe('host:port of the Pub/Sub emulator.'),
  credentialsFile: z.string().min(1).optional().describe('Service-account JSON key file.'),
});

export const CONNECTION_TYPES = ['kafka', 'rabbitmq', 'nats', 'pubsub'] as const;
export type ConnectionType = (typeof CONNECTION_TYPES)[number];

export const connectionSchema = envelope(
  [MESHGATE_V1ALPHA1],
  'Connection',
  z
    .strictObject({
      kafka: kafkaConnectionSchema.optional(),
      rabbitmq: rabbitmqConnectionSchema.optional(),
      nats: natsConnectionSchema.optional(),
      pubsub: pubsubConnectionSchema.optional(),
    })
    .superRefine((spec, ctx) => {
      const set = CONNECTION_TYPES.filter((t) => spec[t] !== undefined);
      if (set.length !== 1) {
        ctx.addIssue({
          code: 'custom',
          path: [],
          message:
            set.length === 0
              ? `needs exactly one of ${CONNECTION_TYPES.join(', ')}`
              : `has exactly one of ${CONNECTION_TYPES.join(', ')}; found ${set.join(', ')}`,
        });
      }
    }),
).transform((doc) => {
  const type = CONNECTION_TYPES.find((t) => doc.spec[t] !== undefined) ?? 'kafka';
  return { ...doc, type };
});

// ---------------------------------------------------------------------------------------------
// Gateway security (ingress authentication and policies, limits, egress); docs/security.md

function isCidr(text: string): boolean {
  const slash = text.indexOf('/');
  const ip = slash === -1 ? text : text.slice(0, slash);
  const family = isIP(ip);
  if (family === 0) return false;
  if (slash === -1) return true;
  const prefix = text.slice(slash + 1);
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

const cidrListSchema = z.array(
  z.string().refine(isCidr, { message: 'expected a CIDR such as 10.0.0.0/8 or fd00::/8' }),
);

const rateSchema = z.strictObject({
  perSecond: z.number().positive().describe('Sustained requests per second.'),
  burst: z
    .int()
    .min(1)
    .optional()
    .describe('Requests allowed at once after an idle time (default perSecond).'),
});

const senderPattern = z.string().min(1).describe('Exact, or with a trailing * matching any suffix.');

export const gatewaySecuritySchema = z
  .strictObject({
    auth: z
      .strictObject({
        tokens: z
          .array(
            z.strictObject({
              name: z.string().min(1).describe('Used in policies and logs (never the value).'),
              value: secretSchema,
            }),
          )
          .optional()
          .describe('Static bearer tokens.'),
        jwt: z
          .strictObject({
            issuer: z.string().min(1).describe('The iss every token must carry.'),
            audience: z
              .string()
              .min(1)
              .optional()
              .describe(
                'Audience prefix: aud must be <prefix>/<broker|sink>/<namespace>/<name> (default eventing.knative.dev).',
              ),
            jwksUrl: z.url().optional().describe('Where the issuer publishes its keys (cached).'),
            keysFile: z.string().min(1).optional().describe('A JWKS JSON file instead of jwksUrl.'),
            algorithms: z
              .array(z.string().min(1))
              .optional()
              .describe('Accepted algorithms (default the asymmetric ones).'),
            clockToleranceSeconds: z
              .int()
              .min(0)
              .optional()
              .describe('Allowed clock skew for exp/nbf (default 30).'),
          })
          .refine((j) => (j.jwksUrl === undefined) !== (j.keysFile === undefined), {
            message: 'set exactly one of jwksUrl or keysFile',
          })
          .optional(),
      })
      .optional(),
    defaultMode: z
      .enum(['allow-all', 'authenticated', 'deny-all'])
      .optional()
      .describe('For Addressables no policy applies to (default allow-all, as Knative).'),
    policies: z
      .array(
        z.strictObject({
          name: z.string().min(1),
          to: z
            .array(
              z.strictObject({
                kind: z.enum(['Broker', 'Sink', 'Bridge']).optional(),
                namespace: namespaceSchema,
                name: resourceNameSchema,
              }),
            )
            .optional()
            .describe('The Brokers, Sinks and Bridges (HTTP source) this policy applies to (absent: all).'),
          from: z
            .array(
              z.union([z.strictObject({ token: senderPattern }), z.strictObject({ sub: senderPattern })]),
            )
            .min(1)
            .describe('Static token names ({token}) or JWT subjects ({sub}) let in.'),
          filters: filtersSchema.optional().describe('Trigger-dialect filters every event must pass.'),
        }),
      )
      .optional(),
    limits: z
      .strictObject({
        maxHeaderBytes: z.int().min(1).optional(),
        maxBatchSize: z.int().min(1).optional(),
        maxAttributes: z.int().min(4).optional(),
        maxAttributeBytes: z.int().min(1).optional(),
        headersTimeoutMs: z.int().min(1).optional(),
        requestTimeoutMs: z.int().min(1).optional(),
        rate: z
          .strictObject({ perAddressable: rateSchema.optional(), perSender: rateSchema.optional() })
          .optional(),
      })
      .optional(),
    egress: z
      .strictObject({
        allowCidrs: cidrListSchema.optional(),
        denyCidrs: cidrListSchema.optional(),
        allowRedirects: z.boolean().optional(),
        caFile: z
          .string()
          .min(1)
          .optional()
          .describe(
            'PEM CA bundle trusted for https deliveries besides the system CAs (relative: to the Gateway file).',
          ),
      })
      .optional(),
  })
  .meta({ id: 'GatewaySecurity' });
export type GatewaySecuritySettings = z.output<typeof gatewaySecuritySchema>;

// ---------------------------------------------------------------------------------------------
// Gateway

export const GATEWAY_DEFAULTS = Object.freeze({
  host: '0.0.0.0',
  port: 8080,
  maxBodyBytes: 1_048_576,
  logLevel: 'info' as const,
});

/**
 * TLS on the gateway's own listener: certificate files (watched and reloaded when they change)
 * and, with `clientCaFile`, client certificates (mTLS; peer links need one). See docs/security.md.
 */
export const listenerTlsSchema = z
  .strictObject({
    certFile: z
      .string()
      .min(1)
      .describe(
        'PEM server certificate (with its chain), reloaded when it changes (relative: to the Gateway file).',
      ),
    keyFile: z.string().min(1).describe('PEM private key of certFile, reloaded when it changes.'),
    clientCaFile: z
      .string()
      .min(1)
      .optional()
      .describe('PEM CA bundle client certificates must chain to (mTLS); reloaded when it changes.'),
    clientAuth: z
      .enum(['none', 'request', 'require'])
      .optional()
      .describe(
        'none: no client certificate asked; request: asked, checked for peers only; require: every connection needs a valid one (default require with clientCaFile, none without).',
      ),
    verifyPeerName: z
      .boolean()
      .default(true)
      .describe("A peer's client certificate must name the peer (its id as CN or DNS SAN)."),
  })
  .superRefine((tls, ctx) => {
    if (tls.clientAuth !== undefined && tls.clientAuth !== 'none' && tls.clientCaFile === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['clientAuth'],
        message: `clientAuth ${tls.clientAuth} needs clientCaFile (the CA client certificates are verified against)`,
      });
    }
    if (tls.clientAuth === 'none' && tls.clientCaFile !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['clientCaFile'],
        message: 'clientCaFile is unused with clientAuth none (use request or require)',
      });
    }
  })
  .meta({ id: 'ListenerTls' });
export type ListenerTlsSettings = z.output<typeof listenerTlsSchema>;

export const gatewaySchema = envelope(
  [MESHGATE_V1ALPHA1],
  'Gateway',
  z
    .strictObject({
      id: z
        .string()
        .min(1)
        .optional()
        .describe('Gateway id in routes between peers (default metadata.name).'),
      http: z
        .strictObject({
          host: z.string().min(1).default(GATEWAY_DEFAULTS.host),
          port: z.int().min(0).max(65535).default(GATEWAY_DEFAULTS.port),
          maxBodyBytes: z.int().min(1).default(GATEWAY_DEFAULTS.maxBodyBytes),
          tls: listenerTlsSchema
            .optional()
            .describe('Serve https with these certificate files (absent: plain http).'),
        })
        .default({
          host: GATEWAY_DEFAULTS.host,
          port: GATEWAY_DEFAULTS.port,
          maxBodyBytes: GATEWAY_DEFAULTS.maxBodyBytes,
        }),
      admin: z
        .strictObject({
          token: secretSchema.optional().describe('Bearer token the admin API requires (absent: open).'),
        })
        .default({}),
      logging: z
        .strictObject({
          level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
        })
        .default({ level: 'info' }),
      kyma: z
        .strictObject({
          broker: z.string().min(1).describe('The Broker legacy Kyma events go into.'),
          namespace: z.string().min(1).default('default'),
        })
        .optional()
        .describe("Kyma's legacy event ingress, POST /<application>/v1/events (absent: off)."),
      federation: z
        .strictObject({
          maxHops: z.int().min(1).max(64).default(8).describe('Links an event may cross in total.'),
          interestRouting: z
            .boolean()
            .default(true)
            .describe('false: forward every event to every peer with a Trigger on the Broker (flooding).'),
          peerInterestWait: isoDurationSchema
            .default('PT10S')
            .describe(
              "How long forwarding waits, after start or a new Peer, for that peer's first interest announcement.",
            ),
          dedup: z
            .strictObject({
              window: isoDurationSchema
                .default('PT10M')
                .describe('How long an accepted (source, id) is remembered.'),
              maxEntries: z
                .int()
                .min(1)
                .default(100_000)
                .describe('Keys remembered at most; the oldest go first.'),
            })
            .default({ window: 'PT10M', maxEntries: 100_000 }),
        })
        .optional()
        .describe('Federation settings, read at start (absent: the defaults).'),
      security: gatewaySecuritySchema
        .optional()
        .describe(
          'Ingress authentication, policies, limits and egress rules (absent: open); see docs/security.md.',
        ),
    })
    .default({
      http: {
        host: GATEWAY_DEFAULTS.host,
        port: GATEWAY_DEFAULTS.port,
        maxBodyBytes: GATEWAY_DEFAULTS.maxBodyBytes,
      },
      admin: {},
      logging: { level: 'info' },
    }),
);

// ---------------------------------------------------------------------------------------------
// Sources

function withMaxInFlight<T extends { metadata: { annotations?: Record<string, string> | undefined } }>(
  fallback: number,
) {
  return (doc: T, ctx: z.core.$RefinementCtx<T>) => {
    const a = parseAnnotations(doc.metadata.annotations, SOURCE_ANNOTATIONS, ctx);
    return {
      ...doc,
      settings: { maxInFlight: (a['meshgate.io/max-in-flight'] as number | undefined) ?? fallback },
    };
  };
}

/** What every source has: the connection it reads, where events go, how they are delivered. */
const sourceCommon = {
  connection: connectionNameSchema,
  sink: destinationSchema,
  delivery: deliverySpecSchema.optional(),
  ceOverrides: ceOverridesSchema.optional(),
};

export const rabbitmqSourceSchema = envelope(
  [MESHGATE_V1ALPHA1],
  'RabbitmqSource',
  z.strictObject({
    ...sourceCommon,
    rabbitmqResourcesConfig: z.strictObject({
      queueName: z.string().min(1).describe('Queue to consume.'),
      exchangeName: z
        .string()
        .min(1)
        .optional()
        .describe('Exchange the queue is bound to (when not predeclared).'),
      routingKey: z.string().optional().describe('Binding key (default "#").'),
      predeclared: z.boolean().default(false).describe('Queue and binding exist; meshgate declares nothing.'),
      parallelism: z
        .int()
        .min(1)
        .max(1000)
        .default(1)
        .describe('Prefetch: 1 keeps order, more runs in parallel.'),
      vhost: z.string().optional(),
      deadLetterExchange: z.string().optional().describe('Exchange that nacked messages go to.'),
    }),
  }),
).transform(withMaxInFlight(1));

const jetStreamSourceSchema = z.strictObject({
  stream: z.string().min(1),
  consumer: z.string().min(1).describe('Durable consumer name (created when missing).'),
  filterSubject: z.string().optional(),
  deliverPolicy: z.enum(['all', 'new', 'last']).default('new'),
  ackWait: isoDurationSchema
    .optional()
    .describe('ISO-8601 duration before an un-acked message is redelivered.'),
  maxDeliver: z.int().min(1).optional().describe('Attempts before the message is terminated.'),
});

export const natsSourceSchema = envelope(
  [MESHGATE_V1ALPHA1],
  'NatsSource',
  z
    .strictObject({
      ...sourceCommon,
      subject: z.string().min(1).optional().describe('Core NATS subject: at-most-once, documented as such.'),
      queueGroup: z.string().optional(),
      jetstream: jetStreamSourceSchema.optional(),
    })
    .superRefine((spec, ctx) => {
      if ((spec.subject === undefined) === (spec.jetstream === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: [],
          message: 'needs exactly one of subject (core NATS) or jetstream',
        });
      }
    }),
).transform(withMaxInFlight(100));

export const pubsubSourceSchema = envelope(
  [MESHGATE_V1ALPHA1],
  'PubSubSource',
  z.strictObject({
    ...sourceCommon,
    subscription: z.string().min(1),
    topic: z.string().min(1).optional().describe('Topic to create the subscription on when it is missing.'),
    ordering: z
      .boolean()
      .default(false)
      .describe('Honour ordering keys (subscription with message ordering).'),
    ackDeadlineSeconds: z.int().min(10).max(600).optional(),
  }),
).transform(withMaxInFlight(100));

// ---------------------------------------------------------------------------------------------
// Sinks (Addressables: a Trigger subscriber or a source sink may `ref` them)

export const rabbitmqSinkSchema = envelope(
  [MESHGATE_V1ALPHA1],
  'RabbitmqSink',
  z
    .strictObject({
      connection: connectionNameSchema,
      exchangeName: z
        .string()
        .optional()
        .describe('Exchange to publish to ("" or absent: default exchange).'),
      routingKey: z.string().optional().describe('Routing key (default: the event type).'),
      queueName: z.string().min(1).optional().describe('Publish to this queue through the default exchange.'),
      contentMode: contentModeSchema.default('binary'),
    })
    .superRefine((spec, ctx) => {
      if (spec.exchangeName === undefined && spec.queueName === undefined) {
        ctx.addIssue({ code: 'custom', path: [], message: 'needs exchangeName or queueName' });
      }
    }),
);

export const natsSinkSchema = envelope(
  [MESHGATE_V1ALPHA1],
  'NatsSink',
  z.strictObject({
    connection: connectionNameSchema,
    subject: z.string().min(1),
    jetstream: z
      .boolean()
      .default(true)
      .describe('Publish with JetStream PubAck (false: core NATS, no ack).'),
    contentMode: contentModeSchema.default('binary'),
  }),
);

export const pubsubSinkSchema = envelope(
  [MESHGATE_V1ALPHA1],
  'PubSubSink',
  z.strictObject({
    connection: connectionNameSchema,
    topic: z.string().min(1),
    contentMode: contentModeSchema.default('binary'),
    orderingKeyAttribute: z
      .string()
      .optional()
      .describe('Event attribute used as ordering key (e.g. partitionkey).'),
  }),
);

// ---------------------------------------------------------------------------------------------
// Federation: Peer and Bridge

export const peerSchema = envelope(
  [MESHGATE_V1ALPHA1],
  'Peer',
  z.strictObject({
    url: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .describe("The peer gateway's base URL."),
    token: secretSchema.optional().describe('Bearer token presented to the peer.'),
    tls: tlsSchema.optional(),
  }),
);

/** Paths the gateway serves itself; a Bridge's HTTP source may not take them. */
const RESERVED_PATH = /^\/(api|ui|healthz|readyz|metrics|_meshgate)(\/|$)/;

const bridgeSourceSchema = z
  .strictObject({
    kafka: z
      .strictObject({
        connection: connectionNameSchema,
        topics: z.array(z.string().min(1)).min(1),
        consumerGroup: z.string().min(1).optional(),
        initialOffset: z.enum(['earliest', 'latest']).default('latest'),
        ordering: z.enum(['ordered', 'unordered']).default('ordered'),
      })
      .optional(),
    rabbitmq: z
      .strictObject({
        connection: connectionNameSchema,
        queueName: z.string().min(1),
        exchangeName: z.string().optional(),
        predeclared: z.boolean().default(false),
        parallelism: z.int().min(1).max(1000).default(1),
      })
      .optional(),
    nats: z
      .strictObject({
        connection: connectionNameSchema,
        subject: z.string().min(1).optional(),
        jetstream: jetStreamSourceSchema.optional(),
      })
      .refine((s) => (s.subject === undefined) !== (s.jetstream === undefined), {
        message: 'needs exactly one of subject or jetstream',
      })
      .optional(),
    pubsub: z
      .strictObject({
        connection: connectionNameSchema,
        subscription: z.string().min(1),
        topic: z.string().min(1).optional(),
      })
      .optional(),
    http: z
      .strictObject({
        path: z
          .string()
          .regex(/^(\/[A-Za-z0-9._~-]+)+$/, {
            error:
              'must be an absolute path of plain segments (letters, digits, . _ ~ -), e.g. /bridges/orders',
          })
          .refine((p) => p.split('/').length !== 3, {
            error: 'a path of two segments would shadow the /<namespace>/<name> ingress of Brokers and Sinks',
          })
          .refine((p) => !RESERVED_PATH.test(p), {
            error: 'the gateway serves this path itself (/api, /ui, /healthz, /readyz, /metrics, /_meshgate)',
          })
          .optional()
          .describe('Ingress path (default /bridges/<ns>/<name>).'),
      })
      .optional(),
  })
  .superRefine((source, ctx) => {
    const kinds = ['kafka', 'rabbitmq', 'nats', 'pubsub', 'http'] as const;
    const set = kinds.filter((k) => source[k] !== undefined);
    if (set.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message:
          set.length === 0
            ? `needs exactly one of ${kinds.join(', ')}`
            : `has exactly one of ${kinds.join(', ')}; found ${set.join(', ')}`,
      });
    }
  });

const peerBrokerSinkSchema = z.strictObject({
  peer: resourceNameSchema.describe('Name of a Peer.'),
  broker: resourceNameSchema.describe('Broker name on the peer.'),
  namespace: namespaceSchema.optional().describe("Broker namespace on the peer (default the Bridge's)."),
});

export const bridgeSchema = envelope(
  [MESHGATE_V1ALPHA1],
  'Bridge',
  z.strictObject({
    source: bridgeSourceSchema,
    filter: attributesFilterSchema.optional(),
    filters: filtersSchema.optional(),
    sink: z.union([peerBrokerSinkSchema, destinationSchema], {
      error: 'expected {uri | ref} or {peer, broker}',
    }),
    delivery: deliverySpecSchema.optional(),
    ceOverrides: ceOverridesSchema.optional(),
  }),
);

export type ConnectionResource = Located<z.output<typeof connectionSchema>>;
export type GatewayResource = Located<z.output<typeof gatewaySchema>>;
export type RabbitmqSourceResource = Located<z.output<typeof rabbitmqSourceSchema>>;
export type NatsSourceResource = Located<z.output<typeof natsSourceSchema>>;
export type PubSubSourceResource = Located<z.output<typeof pubsubSourceSchema>>;
export type RabbitmqSinkResource = Located<z.output<typeof rabbitmqSinkSchema>>;
export type NatsSinkResource = Located<z.output<typeof natsSinkSchema>>;
export type PubSubSinkResource = Located<z.output<typeof pubsubSinkSchema>>;
export type PeerResource = Located<z.output<typeof peerSchema>>;
export type BridgeResource = Located<z.output<typeof bridgeSchema>>;
/** A source other than KafkaSource. */
export type SourceResource = RabbitmqSourceResource | NatsSourceResource | PubSubSourceResource;
/** A sink other than KafkaSink. */
export type SinkResource = RabbitmqSinkResource | NatsSinkResource | PubSubSinkResource;
