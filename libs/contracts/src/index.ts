export * from './topics.js';
export * from './providers.js';
export * from './canonical-event.js';
export * from './raw-delivery.js';
export * from './canonical-event.dto.js';
export * from './state-change.js';
export * from './field-paths.js';
export * from './dispatchable-event.js';
