/** @meshgate/knative: the CloudEvents HTTP binding, the Addressable client and Kyma's legacy events. */
export { PayloadTooLargeError, UnsupportedMediaTypeError } from './errors.js';
export {
  type DecodedHttpRequest,
  decodeHttpRequest,
  encodeHttp,
  encodeHttpBatch,
  encodeHttpBinary,
  encodeHttpStructured,
  HTTP_HEADER_PREFIX,
  type HttpContentMode,
  type HttpMessage,
  headerString,
  isHttpCloudEvent,
} from './http-binding.js';
export {
  encodeHttpResponse,
  errorResponse,
  type HttpResponseParts,
  readBody,
  statusForError,
} from './http-response.js';
export {
  ERROR_BODY_BYTES,
  HttpAddressableSender,
  type HttpAddressableSenderOptions,
  type HttpClientTls,
  withDefaultCas,
} from './http-sender.js';
export {
  KYMA_EVENT_TYPE_VERSION_EXTENSION,
  KymaLegacyEventError,
  kymaLegacyErrorBody,
  kymaLegacyResponseBody,
  kymaLegacyToEvent,
} from './kyma.js';
export {
  type CloudEventsReceiverOptions,
  createCloudEventsReceiver,
  DEFAULT_MAX_BODY_BYTES,
  type ReceivedRequest,
} from './receiver.js';
export {
  DEFAULT_EGRESS_DENY,
  EgressGuard,
  type EgressOptions,
  EgressRefusedError,
  type EgressResolver,
  type EgressRule,
} from './egress-guard.js';
