export { PlatformEnvSchema, parseEnv, toPlatformConfig, ConfigError, type PlatformConfig, type StorageConfig } from './config/platform-config.js';
export { contentKey, type ArtifactStorage, type ByteRange } from './storage/artifact-storage.js';
export { LocalArtifactStorage } from './storage/local-storage.js';
export { S3ArtifactStorage, type S3StorageOptions } from './storage/s3-storage.js';
export { createArtifactStorage, closeArtifactStorage } from './storage/create-storage.js';
export { SigningKey } from './signing/signing-key.js';
export * from './queue/index.js';
