/**
 * @google-cloud/pubsub, loaded on first use. It brings gRPC, protobufjs and Google's generated
 * protos (about 24 MB of memory and a slower start), which a gateway with no Pub/Sub Connection
 * should not pay for. The library is CommonJS, so a synchronous require keeps callers synchronous.
 */
import { createRequire } from 'node:module';

type PubSubLibrary = typeof import('@google-cloud/pubsub');

const require = createRequire(import.meta.url);
let library: PubSubLibrary | undefined;

export function pubsubLibrary(): PubSubLibrary {
  library ??= require('@google-cloud/pubsub') as PubSubLibrary;
  return library;
}
