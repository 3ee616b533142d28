import { fork } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { S3ArtifactStorage, type S3StorageOptions } from '../storage/s3-storage.js';

const SERVER_SCRIPT = fileURLToPath(new URL('./s3rver-process.js', import.meta.url));

export interface TestS3Server {
  options: S3StorageOptions;
  /** The same settings as STORAGE=s3 environment variables, for `createTestApp`. */
  env: Record<string, string>;
  /** A client of its own, to look into the bucket independently of the code under test. */
  storage: S3ArtifactStorage;
  close(): Promise<void>;
}

/**
 * A real S3 API (s3rver) on loopback with an ephemeral port, a fresh directory and one empty bucket.
 * It runs in a child process because s3rver encrypts ListObjectsV2 continuation tokens with DES, which
 * OpenSSL 3 only offers through its legacy provider: without `--openssl-legacy-provider` every listing
 * longer than one page fails with a 500, and that flag cannot be turned on inside a running process.
 */
export async function startS3Server(bucket = 'edgefleet-test'): Promise<TestS3Server> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'edgefleet-s3-'));
  const child = fork(SERVER_SCRIPT, [directory, bucket], {
    execArgv: ['--openssl-legacy-provider', '--no-deprecation'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit');
  const port = await Promise.race([
    once(child, 'message').then(([message]) => (message as { port: number }).port),
    exited.then(([code]) => Promise.reject(new Error(`s3rver exited with code ${String(code)} before listening`))),
  ]);
  // s3rver checks signatures against these fixed credentials.
  const options: S3StorageOptions = {
    bucket,
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${port}`,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    forcePathStyle: true,
  };
  const storage = new S3ArtifactStorage(options);
  return {
    options,
    env: {
      STORAGE: 's3',
      S3_BUCKET: bucket,
      S3_REGION: options.region,
      S3_ENDPOINT: options.endpoint!,
      S3_ACCESS_KEY_ID: options.accessKeyId,
      S3_SECRET_ACCESS_KEY: options.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
    },
    storage,
    async close() {
      storage.destroy();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}
