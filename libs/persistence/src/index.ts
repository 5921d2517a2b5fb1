export * from './data-source.factory.js';
export * from './embedded-postgres.js';
export * from './secret-box.js';
export * from './values-list.js';
export * from './batch-transaction.js';
export * from './typed-query.js';
export * from './tenant-rows.js';
