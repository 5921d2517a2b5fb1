export * from './pruner.js';
export * from './log-topic-job.js';
export * from './background-pruner.js';
