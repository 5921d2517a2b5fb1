export * from './pruner.js';
export * from './log-topic-job.js';
