export * from './mesh-event.js';
