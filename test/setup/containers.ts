/**
 * The same services from testcontainers, for laptops with a Docker engine
 * (MESHGATE_SERVICES=containers). Not exercised on CI machines, which have no Docker engine.
 */
export async function startContainers(): Promise<() => Promise<void>> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const kafka = await new GenericContainer('apache/kafka:4.3.0')
    .withExposedPorts({ container: 9092, host: 9092 })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://127.0.0.1:9092',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  const rabbit = await new GenericContainer('rabbitmq:4-management').withExposedPorts(5672).start();
  const nats = await new GenericContainer('nats:2').withCommand(['-js']).withExposedPorts(4222).start();
  const pubsub = await new GenericContainer('gcr.io/google.com/cloudsdktool/google-cloud-cli:emulators')
    .withCommand(['gcloud', 'beta', 'emulators', 'pubsub', 'start', '--host-port=0.0.0.0:8085'])
    .withExposedPorts(8085)
    .withWaitStrategy(Wait.forLogMessage(/Server started/))
    .start();
  process.env.KAFKA_BROKERS = '127.0.0.1:9092';
  process.env.RABBITMQ_URL = `amqp://guest:guest@${rabbit.getHost()}:${rabbit.getMappedPort(5672)}`;
  process.env.NATS_URL = `nats://${nats.getHost()}:${nats.getMappedPort(4222)}`;
  process.env.PUBSUB_EMULATOR_HOST = `${pubsub.getHost()}:${pubsub.getMappedPort(8085)}`;
  process.env.PUBSUB_PROJECT_ID ??= 'meshgate-test';
  return async () => {
    await Promise.all([kafka.stop(), rabbit.stop(), nats.stop(), pubsub.stop()]);
  };
}
