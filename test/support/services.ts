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
};

/** A name no other run or test uses: `<prefix>-<time>-<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
