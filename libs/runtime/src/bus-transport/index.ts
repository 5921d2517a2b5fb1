export * from './bus.transport.js';
export * from './consumer-lane.js';
export * from './lane-context.js';
