export * from './common.js';
export * from './errors.js';
export * from './inspection.js';
export * from './models.js';
export * from './versions.js';
export * from './datasets.js';
export * from './health.js';
