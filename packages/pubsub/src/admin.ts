/**
 * Idempotent setup of topics and subscriptions, shared by the channel and by sources that may
 * create their subscription. Errors name the Connection and the object.
 */
import { MeshgateError } from '@meshgate/core';
import type { PubSubConnection } from './client.js';
import { isAlreadyExists, toPubSubError } from './errors.js';
import { checkResourceName, fullName } from './names.js';

export interface SubscriptionSettings {
  /** Deliver messages of one ordering key in order (fixed at creation). */
  ordered?: boolean;
  /** Ack deadline in seconds (10-600). Default 60. */
  ackDeadlineSeconds?: number;
  /** Pub/Sub's own backoff between redeliveries of a nacked message. */
  retryPolicy?: { minimumBackoffSeconds: number; maximumBackoffSeconds: number };
  /**
   * Pub/Sub's dead-letter policy: after `maxDeliveryAttempts` (5-100) deliveries, Pub/Sub moves
   * the message to `topic` (short or full name). On Google Cloud, the Pub/Sub service account
   * needs the publisher role on that topic and the subscriber role on the subscription.
   * @see https://cloud.google.com/pubsub/docs/handling-failures#dead_letter_topic
   */
  deadLetter?: { topic: string; maxDeliveryAttempts: number };
}

/** Makes sure the topic exists, creating it when `create` is true. */
export async function ensureTopic(
  connection: PubSubConnection,
  topicName: string,
  create: boolean,
): Promise<void> {
  const topic = connection.client.topic(topicName);
  try {
    const [exists] = await topic.exists();
    if (exists) return;
    if (!create) {
      throw new MeshgateError(
        'NOT_FOUND',
        `Pub/Sub connection "${connection.name}": topic "${topicName}" does not exist and is not to be created`,
      );
    }
    await topic.create();
  } catch (err) {
    if (isAlreadyExists(err)) return;
    throw toPubSubError(err, {
      connection: connection.name,
      object: `topic "${topicName}"`,
      action: 'create',
    });
  }
}

/**
 * Makes sure the subscription exists, creating it on `topicName` when it does not. An existing
 * subscription is used as it is (its settings, ordering included, are fixed at creation).
 * A new subscription receives only messages published after its creation.
 */
export async function ensureSubscription(
  connection: PubSubConnection,
  topicName: string,
  subscriptionName: string,
  settings: SubscriptionSettings = {},
): Promise<void> {
  const deadline = settings.ackDeadlineSeconds ?? 60;
  if (!Number.isInteger(deadline) || deadline < 10 || deadline > 600) {
    throw new MeshgateError(
      'CONFIG_INVALID',
      `ackDeadlineSeconds must be an integer from 10 to 600, got ${deadline}`,
    );
  }
  const deadLetter = settings.deadLetter;
  if (deadLetter !== undefined) {
    const n = deadLetter.maxDeliveryAttempts;
    if (!Number.isInteger(n) || n < 5 || n > 100) {
      throw new MeshgateError(
        'CONFIG_INVALID',
        `deadLetter.maxDeliveryAttempts must be an integer from 5 to 100, got ${n}`,
      );
    }
    checkResourceName('topics', deadLetter.topic, 'deadLetter.topic');
  }
  try {
    const [exists] = await connection.client.subscription(subscriptionName).exists();
    if (exists) return;
    const retry = settings.retryPolicy;
    await connection.client.topic(topicName).createSubscription(subscriptionName, {
      ackDeadlineSeconds: deadline,
      enableMessageOrdering: settings.ordered === true,
      ...(deadLetter !== undefined
        ? {
            deadLetterPolicy: {
              deadLetterTopic: fullName(connection.projectId, 'topics', deadLetter.topic),
              maxDeliveryAttempts: deadLetter.maxDeliveryAttempts,
            },
          }
        : {}),
      ...(retry !== undefined
        ? {
            retryPolicy: {
              minimumBackoff: { seconds: retry.minimumBackoffSeconds },
              maximumBackoff: { seconds: retry.maximumBackoffSeconds },
            },
          }
        : {}),
    });
  } catch (err) {
    if (isAlreadyExists(err)) return;
    throw toPubSubError(err, {
      connection: connection.name,
      object: `subscription "${subscriptionName}" on topic "${topicName}"`,
      action: 'create',
    });
  }
}
