import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './env.js';

describe(loadConfig.name, () => {
  it('applies the developer-machine defaults', () => {
    const sut = loadConfig({});
    expect(sut.databaseUrl).toBe('postgresql://root@127.0.0.1:5432/edgefleet');
    expect(sut.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(sut.http.port).toBe(3000);
    expect(sut.dataDir).toBe(path.resolve('./data'));
    expect(sut.uploads.maxBytes).toBe(512 * 1024 * 1024);
    expect(sut.storage).toEqual({ kind: 'local', root: path.resolve('./data/artifacts') });
    expect(sut.pipelines).toEqual({ auto: true });
    expect(sut.queue).toEqual({ prefix: 'bull', settings: { attempts: 3, backoffMs: 5_000 } });
  });

  it('reads the pipeline and queue settings', () => {
    const sut = loadConfig({ AUTO_PIPELINES: 'false', QUEUE_PREFIX: 'edge', JOB_ATTEMPTS: '5', JOB_BACKOFF_MS: '100' });
    expect(sut.pipelines.auto).toBe(false);
    expect(sut.queue).toEqual({ prefix: 'edge', settings: { attempts: 5, backoffMs: 100 } });
    expect(() => loadConfig({ AUTO_PIPELINES: 'yes', JOB_ATTEMPTS: '0' })).toThrow(ConfigError);
  });

  it('names every invalid variable at once', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', MAX_UPLOAD_BYTES: '-1', STORAGE: 's3' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'DATABASE_URL', 'MAX_UPLOAD_BYTES', 'S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY']) {
      expect(problems).toContain(name);
    }
  });
});
