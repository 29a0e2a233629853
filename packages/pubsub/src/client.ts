/**
 * The one place that creates a Pub/Sub client for a meshgate Connection: the emulator (for tests
 * and local runs) or a real project with a service-account credentials file or Application
 * Default Credentials.
 */
import type { PubSub } from '@google-cloud/pubsub';
import { ConfigError, type ConfigIssue } from '@meshgate/core';
import { pubsubLibrary } from './library.js';

/** A Connection to one Pub/Sub project. */
export interface PubSubConnectionOptions {
  /** The Connection's name, used in errors and logs. Default `pubsub`. */
  name?: string;
  /** The Google Cloud project that holds the topics and subscriptions. */
  projectId: string;
  /**
   * `host:port` of a Pub/Sub emulator. When unset, `PUBSUB_EMULATOR_HOST` is honoured (as the
   * client library does); when neither is set, the real service is used.
   */
  emulatorHost?: string;
  /** A service-account key file (JSON). Without it, Application Default Credentials apply. */
  credentialsFile?: string;
}

/** A Pub/Sub client bound to its Connection's name and project. */
export interface PubSubConnection {
  readonly name: string;
  readonly projectId: string;
  readonly client: PubSub;
  /** True when talking to an emulator rather than Google's service. */
  readonly emulator: boolean;
  close(): Promise<void>;
}

const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const HOST_PORT = /^[^\s:/]+:\d{1,5}$/;

/** Checks the options and returns every problem at once, with the field path named. */
export function validateConnectionOptions(options: PubSubConnectionOptions): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (typeof options.projectId !== 'string' || options.projectId === '') {
    issues.push({ path: 'projectId', message: 'is required' });
  } else if (!PROJECT_ID.test(options.projectId)) {
    issues.push({
      path: 'projectId',
      message: `"${options.projectId}" is not a Google Cloud project id (6-30 lower-case letters, digits or hyphens, starting with a letter)`,
    });
  }
  if (options.emulatorHost !== undefined && !HOST_PORT.test(options.emulatorHost)) {
    issues.push({ path: 'emulatorHost', message: `"${options.emulatorHost}" is not host:port` });
  }
  if (options.emulatorHost !== undefined && options.credentialsFile !== undefined) {
    issues.push({
      path: 'credentialsFile',
      message: 'cannot be used with emulatorHost (the emulator takes no credentials)',
    });
  }
  return issues;
}

/**
 * Creates the client for a Connection. Nothing is contacted here: the first publish or pull
 * connects, and its errors name the Connection.
 * @throws ConfigError naming each bad field
 */
export function createPubSubConnection(options: PubSubConnectionOptions): PubSubConnection {
  const name = options.name ?? 'pubsub';
  const issues = validateConnectionOptions(options);
  if (issues.length > 0) {
    const detail = issues.map((i) => `${i.path} ${i.message}`).join('; ');
    throw new ConfigError(`Pub/Sub connection "${name}": ${detail}`, issues);
  }
  const emulatorHost = options.emulatorHost ?? process.env.PUBSUB_EMULATOR_HOST;
  const client = new (pubsubLibrary().PubSub)({
    projectId: options.projectId,
    ...(options.emulatorHost !== undefined ? { apiEndpoint: options.emulatorHost, emulatorMode: true } : {}),
    ...(options.credentialsFile !== undefined ? { keyFilename: options.credentialsFile } : {}),
  });
  return {
    name,
    projectId: options.projectId,
    client,
    emulator: emulatorHost !== undefined && emulatorHost !== '',
    close: () => client.close(),
  };
}
