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
export {
  CONTENT_TYPE_HEADER,
  type ContentMode,
  type DecodedRecord,
  type EncodeOptions,
  eventToRecord,
  HEADER_PREFIX,
  type IncomingRecord,
  isCloudEventRecord,
  kafkaBinding,
  type KeyType,
  keyValue,
  type OutgoingRecord,
  PARTITION_KEY,
  recordToEvent,
  WRAPPED_EVENT_TYPE,
  type WrapContext,
  wrapRecord,
} from './binding.js';
export { toKafkaError, unknownTopicError } from './errors.js';
export { KafkaSink, type KafkaSinkOptions } from './sink.js';
export { KafkaSource, type KafkaSourceOptions } from './source.js';
export { PartitionTracker, type TrackedRecord } from './offset-tracker.js';
export { KafkaChannel, type KafkaChannelOptions } from './channel.js';
