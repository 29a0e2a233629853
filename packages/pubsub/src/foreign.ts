/**
 * Wraps a Pub/Sub message that is not a CloudEvent into one, so that nothing is dropped.
 *
 * Two conventions, both Google's:
 * - `raw` (default): the message data is the event data, byte for byte; the message attributes
 *   become extensions. This is what Knative's PubSubSource did (knative-gcp `v1alpha1`,
 *   type `google.pubsub.topic.publish`, source `//pubsub.googleapis.com/<project>/topics/<topic>`),
 *   with the source in today's resource-name form. It keeps a bridge byte-identical.
 * - `envelope`: Eventarc's `google.cloud.pubsub.topic.v1.messagePublished` event, whose data is
 *   the JSON `MessagePublishedData` ({ message: { data (base64), attributes, messageId,
 *   publishTime, orderingKey }, subscription }), as Cloud Run and Cloud Functions receive it.
 *
 * Both: `id` is the message id, `time` the publish time, `source`
 * `//pubsub.googleapis.com/projects/<project>/topics/<topic>`, and the ordering key (if any) is
 * kept as the `partitionkey` extension.
 *
 * @see https://cloud.google.com/eventarc/docs/cloudevents (Pub/Sub event format)
 * @see https://github.com/googleapis/google-cloudevents/blob/main/proto/google/events/cloud/pubsub/v1/data.proto
 * @see https://github.com/google/knative-gcp/blob/main/pkg/pubsub/adapter/converters/pubsub.go
 */
import type { AttributeValue, MeshEvent } from '@meshgate/core';
import type { IncomingPubSubMessage } from './binding.js';
import { CONTENT_TYPE_ATTRIBUTE } from './binding.js';

export type ForeignMessageStyle = 'raw' | 'envelope';

/** CloudEvent type of a wrapped message in `raw` style (Knative's PubSubSource). */
export const RAW_MESSAGE_TYPE = 'google.pubsub.topic.publish';
/** CloudEvent type of a wrapped message in `envelope` style (Eventarc). */
export const MESSAGE_PUBLISHED_TYPE = 'google.cloud.pubsub.topic.v1.messagePublished';

export interface WrapContext {
  /** Full topic name `projects/<p>/topics/<t>`, when known. */
  topic?: string;
  /** Full subscription name `projects/<p>/subscriptions/<s>`. */
  subscription: string;
  style?: ForeignMessageStyle;
  /**
   * Why the message was wrapped when it claimed to be a CloudEvent but was not a valid one; kept
   * as the `bindingerror` extension so that a subscriber can tell.
   */
  bindingError?: string;
}

/** Attribute names a wrapped message's attributes may not overwrite. */
const RESERVED = new Set([
  'id',
  'source',
  'specversion',
  'type',
  'datacontenttype',
  'dataschema',
  'subject',
  'time',
  'data',
  'data_base64',
  'partitionkey',
  'bindingerror',
]);

/** Wraps a message into a CloudEvent in the given style. */
export function wrapForeignMessage(message: IncomingPubSubMessage, ctx: WrapContext): MeshEvent {
  const attributes: Record<string, AttributeValue> = {
    specversion: '1.0',
    id: message.id,
    source: `//pubsub.googleapis.com/${ctx.topic ?? ctx.subscription}`,
    type: (ctx.style ?? 'raw') === 'raw' ? RAW_MESSAGE_TYPE : MESSAGE_PUBLISHED_TYPE,
  };
  if (message.publishTime !== undefined) attributes.time = message.publishTime.toISOString();
  if (message.orderingKey) attributes.partitionkey = message.orderingKey;
  if (ctx.bindingError !== undefined) attributes.bindingerror = ctx.bindingError.slice(0, 200);
  if ((ctx.style ?? 'raw') === 'envelope') {
    attributes.datacontenttype = 'application/json';
    return {
      attributes,
      data: Buffer.from(JSON.stringify(messagePublishedData(message, ctx.subscription)), 'utf8'),
    };
  }
  const contentType = message.attributes[CONTENT_TYPE_ATTRIBUTE];
  if (contentType !== undefined && contentType !== '') attributes.datacontenttype = contentType;
  for (const [key, value] of Object.entries(message.attributes)) {
    if (key === CONTENT_TYPE_ATTRIBUTE) continue;
    const name = extensionName(key);
    if (name !== undefined && !RESERVED.has(name) && attributes[name] === undefined) attributes[name] = value;
  }
  return { attributes, data: message.data.length === 0 ? undefined : message.data };
}

/**
 * A CloudEvents extension name for a Pub/Sub attribute key: lower-case letters and digits only
 * (spec §3.1.1 naming), so `x-app` becomes `xapp`. Undefined when nothing is left.
 */
export function extensionName(key: string): string | undefined {
  const name = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  return name === '' ? undefined : name;
}

/** Eventarc's MessagePublishedData as JSON (proto3 JSON mapping: camelCase, bytes as base64). */
function messagePublishedData(message: IncomingPubSubMessage, subscription: string): Record<string, unknown> {
  const inner: Record<string, unknown> = {
    data: message.data.toString('base64'),
    messageId: message.id,
  };
  if (Object.keys(message.attributes).length > 0) inner.attributes = { ...message.attributes };
  if (message.publishTime !== undefined) inner.publishTime = message.publishTime.toISOString();
  if (message.orderingKey) inner.orderingKey = message.orderingKey;
  return { message: inner, subscription };
}
