/** Federation: loop prevention, dedup, interest routing and peer forwarding, transport-free. */
export * from './route.js';
export * from './dedup-window.js';
export * from './announcement.js';
export * from './interest-table.js';
export * from './announcer.js';
export * from './peer-interest-wait.js';
export * from './forwarder.js';
export * from './batching-sender.js';
export * from './node.js';
