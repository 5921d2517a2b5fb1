export * from './topics.js';
export * from './providers.js';
