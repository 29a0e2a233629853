/** @meshgate/core: no broker client and no network dependency. */
export * from './errors.js';
export * from './logger.js';
export * from './contracts.js';
export * from './backlog-reader.js';
export * from './event/index.js';
export * from './cesql/index.js';
export * from './filter/index.js';
export * from './delivery/index.js';
export * from './router/index.js';
export * from './config/index.js';
export * from './federation/index.js';
