export * from './logging.js';
export * from './metrics.js';
export * from './tracing.js';
