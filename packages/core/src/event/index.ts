export * from './mesh-event.js';
export { eventProblems, hasDisallowedChar, isRfc3339, isUriReference, validateEvent } from './validate.js';
export {
  STRUCTURED_CONTENT_TYPE,
  BATCH_CONTENT_TYPE,
  encodeStructured,
  decodeStructured,
  encodeBatch,
  decodeBatch,
  isJsonContentType,
  mediaType,
} from './json-format.js';
export {
  eventToHeaders,
  eventFromHeaders,
  canonicalString,
  percentEncode,
  percentDecode,
  NotCloudEventError,
  type HeaderInput,
  type HeaderMappingOptions,
  type HeaderParsingOptions,
} from './headers.js';
