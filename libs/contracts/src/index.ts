export * from './topics.js';
export * from './providers.js';
export * from './canonical-event.js';
export * from './raw-delivery.js';
