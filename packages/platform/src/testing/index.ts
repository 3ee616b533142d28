/** Test support for the packages that use the platform; not for production code. */
export { startS3Server, type TestS3Server } from './s3-server.js';
export { createTestDatabase, prepareTemplateDatabase, databaseUrl, withAdmin } from './test-database.js';
export { setupTemplateDatabase } from './template-database-setup.js';
