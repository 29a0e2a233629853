/**
 * The one module that touches kafkajs' construction API. Everything else in this package asks it
 * for producers, consumers and admins, so that the client library could be swapped (e.g. for
 * @platformatic/kafka) behind the same factory without touching the binding or the source/sink.
 */
import {
  type Admin,
  type ISocketFactory,
  type Consumer,
  type ConsumerConfig,
  Kafka,
  type LogEntry,
  logLevel,
  type Mechanism,
  Partitioners,
  type Producer,
  type SASLOptions,
} from 'kafkajs';
import type { ConnectionOptions } from 'node:tls';

/** What the connector logs through: a subset of pino's API, so the gateway's logger fits as is. */
export interface ConnectorLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = () => {};
/** Drops everything: the default when no logger is given (kafkajs never writes to the console). */
export const silentConnectorLogger: ConnectorLogger = { debug: noop, info: noop, warn: noop, error: noop };

export interface KafkaClientOptions {
  /** `host:port` of the bootstrap servers. */
  brokers: readonly string[];
  clientId: string;
  /**
   * What the cluster is called in errors and status, e.g. `connection shop/kafka`. Default
   * `Kafka <brokers>`.
   */
  label?: string;
  sasl?: SASLOptions | Mechanism;
  /** `true` for TLS with the system CAs, or Node TLS options (ca, cert, key, ...). */
  ssl?: boolean | ConnectionOptions;
  logger?: ConnectorLogger;
  /** How long one connection attempt may take (ms). */
  connectionTimeoutMs?: number;
  /** How long one request may take before it is retried (ms). Default 10 s. */
  requestTimeoutMs?: number;
  /** Opens the TCP/TLS sockets to the brokers (a proxy, or a test that cuts the network). */
  socketFactory?: ISocketFactory;
}

export interface ProducerOptions {
  /** Let the broker create topics on first write. Off by default: an unknown topic is an error. */
  allowAutoTopicCreation?: boolean;
}

export interface ConsumerOptions {
  groupId: string;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** How long a fetch waits for data on the broker; bounds the latency of an idle partition. */
  maxWaitTimeInMs?: number;
  maxBytesPerPartition?: number;
}

/** Factories for one Kafka cluster connection. */
export interface KafkaClient {
  readonly clientId: string;
  /** Names the cluster (and its credentials' owner) in errors: `connection shop/kafka`. */
  readonly label: string;
  /** Idempotent producer (acks=all is set per send; idempotence needs it). */
  producer(options?: ProducerOptions): Producer;
  consumer(options: ConsumerOptions): Consumer;
  admin(): Admin;
}

/** The `acks` every send must use: all in-sync replicas. */
export const ACKS_ALL = -1;

const levelName = (level: logLevel): keyof ConnectorLogger => {
  switch (level) {
    case logLevel.ERROR:
      return 'error';
    case logLevel.WARN:
      return 'warn';
    case logLevel.INFO:
      return 'info';
    default:
      return 'debug';
  }
};

const NOISY = new Set(['Connection', 'BrokerPool']);

/**
 * kafkajs logs as ERROR what a reconnecting client expects (a broker going away); those lines
 * are demoted to warn so that only the connector's own decisions are logged as errors.
 */
function routeLogs(logger: ConnectorLogger) {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, ...extra } = log;
      // Every failed socket is logged by kafkajs as an error; while a broker is away that is a
      // line per attempt. The source and sink log the outage once themselves.
      const name = NOISY.has(namespace) ? 'debug' : level === logLevel.ERROR ? 'warn' : levelName(level);
      logger[name]({ kafkajs: namespace, ...extra }, message);
    };
}

/** Builds the client factories; nothing connects until a producer/consumer/admin does. */
export function createKafkaClient(options: KafkaClientOptions): KafkaClient {
  const logger = options.logger ?? silentConnectorLogger;
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    ...(options.sasl === undefined ? {} : { sasl: options.sasl }),
    ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
    ...(options.socketFactory === undefined ? {} : { socketFactory: options.socketFactory }),
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    // kafkajs' 30 s default, times its retries, would keep a sink's caller waiting minutes on a
    // silent network; 10 s is still far above a healthy acks=all round trip.
    requestTimeout: options.requestTimeoutMs ?? 10_000,
    logLevel: logLevel.INFO,
    logCreator: routeLogs(logger),
    // Retries inside one request; reconnecting after that is the source/sink's job.
    retry: { initialRetryTime: 200, retries: 5, maxRetryTime: 5_000 },
  });
  return {
    clientId: options.clientId,
    label: options.label ?? `Kafka ${options.brokers.join(',')}`,
    producer: (producerOptions = {}) =>
      kafka.producer({
        idempotent: true,
        // Idempotence keeps order with up to 5 in flight; kafkajs requires 1 for that guarantee.
        maxInFlightRequests: 1,
        allowAutoTopicCreation: producerOptions.allowAutoTopicCreation ?? false,
        createPartitioner: Partitioners.DefaultPartitioner,
      }),
    consumer: (consumerOptions) => {
      const config: ConsumerConfig = {
        groupId: consumerOptions.groupId,
        allowAutoTopicCreation: false,
        sessionTimeout: consumerOptions.sessionTimeoutMs ?? 30_000,
        heartbeatInterval: consumerOptions.heartbeatIntervalMs ?? 3_000,
        maxWaitTimeInMs: consumerOptions.maxWaitTimeInMs ?? 500,
        ...(consumerOptions.maxBytesPerPartition === undefined
          ? {}
          : { maxBytesPerPartition: consumerOptions.maxBytesPerPartition }),
        // The consumer restarts itself after a crash (broker gone); the source only watches.
        retry: {
          initialRetryTime: 300,
          retries: 5,
          maxRetryTime: 5_000,
          restartOnFailure: async () => true,
        },
      };
      return kafka.consumer(config);
    },
    admin: () => kafka.admin(),
  };
}
