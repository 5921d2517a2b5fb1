export * from './api-key.entity.js';
export * from './api-key.guard.js';
export * from './tenant.entity.js';
export * from './tenant.repository.js';
export * from './tenancy.migration.js';
export * from './tenancy.module.js';
export * from './tenancy.service.js';
export * from './tenant-erasure.js';
