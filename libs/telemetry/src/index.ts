export * from './logging.js';
export * from './metrics.js';
export * from './tracing.js';
export * from './request-fields.js';
export * from './tenant-labels.js';
