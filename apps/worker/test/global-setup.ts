// Migrates a template database once per run; each test file clones it (see @edgefleet/platform/testing).
export { setupTemplateDatabase as default } from '@edgefleet/platform/testing';
