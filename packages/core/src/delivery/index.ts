export * from './sender.js';
export * from './duration.js';
export * from './policy.js';
export * from './backoff.js';
export * from './dead-letter.js';
export * from './deliver.js';
