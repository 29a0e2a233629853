/**
 * Endpoints of the test services. A test that needs a service and cannot find it fails with a
 * message naming the service and the variable; it never skips.
 */
const hint =
  'Run the tests with `npm test` (its global setup starts the services) or `scripts/services.sh up`.';

function required(variable: string, service: string): string {
  const value = process.env[variable];
  if (!value) throw new Error(`${service} is needed but ${variable} is not set. ${hint}`);
  return value;
}

export const services = {
  kafkaBrokers: () => required('KAFKA_BROKERS', 'Kafka').split(','),
  rabbitmqUrl: () => required('RABBITMQ_URL', 'RabbitMQ'),
  natsUrl: () => required('NATS_URL', 'NATS'),
  pubsubEmulatorHost: () => required('PUBSUB_EMULATOR_HOST', 'the Pub/Sub emulator'),
  pubsubProjectId: () => process.env.PUBSUB_PROJECT_ID ?? 'meshgate-test',
  /** Kafka's SASL listener and its test user (SCRAM-SHA-256, SCRAM-SHA-512, PLAIN). */
  kafkaSasl: () => ({
    brokers: required('KAFKA_SASL_BROKERS', "Kafka's SASL listener").split(','),
    user: required('KAFKA_SASL_USER', 'the Kafka SASL user'),
    password: required('KAFKA_SASL_PASSWORD', 'the Kafka SASL password'),
  }),
  /** Kafka's SSL listener and the CA that signed its certificate (a PEM file). */
  kafkaTls: () => ({
    brokers: required('KAFKA_TLS_BROKERS', "Kafka's SSL listener").split(','),
    caFile: required('KAFKA_TLS_CA_FILE', "the CA of Kafka's SSL listener"),
  }),
  /** A RabbitMQ user allowed only resources named `meshgate-limited.*`. */
  rabbitmqLimited: () => ({
    user: required('RABBITMQ_LIMITED_USER', 'the limited RabbitMQ user'),
    password: required('RABBITMQ_LIMITED_PASSWORD', 'the limited RabbitMQ user'),
  }),
  /** NATS with credentials: users (password, NKey) at `url`, a token at `tokenUrl`. */
  natsAuth: () => ({
    url: required('NATS_AUTH_URL', 'NATS with users'),
    tokenUrl: required('NATS_TOKEN_URL', 'NATS with a token'),
    user: required('NATS_AUTH_USER', 'the NATS user'),
    password: required('NATS_AUTH_PASSWORD', 'the NATS user'),
    token: required('NATS_AUTH_TOKEN', 'the NATS token'),
    nkeySeedFile: required('NATS_AUTH_NKEY_SEED_FILE', 'the NATS NKey user'),
  }),
};

/** A name no other run or test uses: `<prefix>-<time>-<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
