/** @meshgate/gateway: the gateway node and the `meshgate` CLI. */
export { Gateway, type GatewayOptions } from './gateway.js';
export type { GatewayModel } from './model.js';
export { modelFromConfig } from './model-from-config.js';
export { buildCli, main } from './cli.js';
export { startDisplay, formatEvent } from './display.js';
export { sendEvent, type SendOptions } from './send.js';
export * from './ops/index.js';
export { createConnectorRuntime } from './connectors/index.js';
