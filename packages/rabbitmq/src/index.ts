/** @meshgate/rabbitmq: the RabbitMQ (AMQP 0-9-1) connector. */
export {
  AMQP_HEADER_PREFIX,
  WRAPPED_EVENT_TYPE,
  type AmqpMessage,
  type ContentMode,
  type DecodedMessage,
  type ReceivedAmqpMessage,
  type WrapContext,
  fromAmqpMessage,
  toAmqpMessage,
  wrapMessage,
  wrappedEventSource,
} from './binding.js';
export { type ReconnectOptions, redactUrl } from './connection.js';
export type { DeadLetterTarget } from './consumer.js';
export { PublishError } from './publisher.js';
export { RabbitmqSink, type RabbitmqSinkOptions } from './sink.js';
export { RabbitmqSource, type RabbitmqSourceOptions } from './source.js';
export { RabbitmqChannel, type RabbitmqChannelOptions } from './channel.js';
