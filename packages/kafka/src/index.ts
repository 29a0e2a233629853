/** @meshgate/kafka: the CloudEvents Kafka binding, KafkaSource, KafkaSink and the Kafka channel. */
export {
  ACKS_ALL,
  type ConnectorLogger,
  type ConsumerOptions,
  createKafkaClient,
  type KafkaClient,
  type KafkaClientOptions,
  type ProducerOptions,
  silentConnectorLogger,
} from './client.js';
