/** @meshgate/nats: the NATS connector (core NATS and JetStream). */
export {
  CONTENT_TYPE_HEADER,
  NATS_HEADER_PREFIX,
  WRAPPED_EVENT_TYPE,
  type ContentMode,
  type DecodedMessage,
  type NatsHeaderRecord,
  type NatsIncoming,
  type NatsOutgoing,
  type WrapContext,
  fromNatsMessage,
  toNatsMessage,
  wrapMessage,
  wrappedEventSource,
} from './binding.js';
export {
  type NatsAuth,
  type NatsEndpoint,
  type NatsServers,
  type NatsTls,
  describeNatsServers,
  natsConnectOptions,
} from './connection.js';
export { NatsConnectorError, natsError } from './errors.js';
export { jetStreamName } from './jetstream-consumer.js';
export { NatsSink, type NatsSinkOptions, natsMsgId } from './sink.js';
export { NatsSource, type NatsJetStreamSourceOptions } from './source.js';
export { NatsSubjectSource, type NatsSubjectSourceOptions } from './subject-source.js';
export { NatsChannel, type NatsChannelOptions } from './channel.js';
