/** @meshgate/pubsub: Google Cloud Pub/Sub connection, CloudEvents binding, source, sink and channel. */
export {
  createPubSubConnection,
  validateConnectionOptions,
  type PubSubConnection,
  type PubSubConnectionOptions,
} from './client.js';
export {
  encodePubSubMessage,
  decodePubSubMessage,
  contentModeOf,
  ATTRIBUTE_PREFIX,
  CONTENT_TYPE_ATTRIBUTE,
  PUBSUB_LIMITS,
  type PubSubContentMode,
  type EncodeOptions,
  type OutgoingPubSubMessage,
  type IncomingPubSubMessage,
} from './binding.js';
export {
  wrapForeignMessage,
  extensionName,
  RAW_MESSAGE_TYPE,
  MESSAGE_PUBLISHED_TYPE,
  type ForeignMessageStyle,
  type WrapContext,
} from './foreign.js';
export { toPubSubError, type PubSubErrorContext } from './errors.js';
export { ensureTopic, ensureSubscription, type SubscriptionSettings } from './admin.js';
export { PubSubSink, type PubSubSinkOptions } from './sink.js';
export { PubSubSource, type PubSubSourceOptions } from './source.js';
export { PubSubChannel, type PubSubChannelOptions } from './channel.js';
