export * from './definitions.js';
export * from './ingress.js';
export * from './observer.js';
export * from './memory-channel.js';
export * from './broker.js';
export * from './trigger.js';
export * from './router.js';
