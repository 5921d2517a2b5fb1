export * from './json-guard.js';
export * from './platform.js';
export * from './platform.module.js';
export * from './problem-details.filter.js';
export * from './run-app.js';
export * from './schema.js';
export * from './page-query.js';
