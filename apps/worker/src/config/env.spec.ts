import { describe, expect, it } from 'vitest';
import { ConfigError, loadWorkerConfig } from './env.js';

describe('loadWorkerConfig', () => {
  it('applies the defaults', () => {
    const c = loadWorkerConfig({});
    expect(c.queue).toEqual({ prefix: 'bull', settings: { attempts: 3, backoffMs: 5_000 }, concurrency: 1, stalledIntervalMs: 30_000, lockDurationMs: 60_000 });
    expect(c.evaluation).toEqual({ maxSamples: 2_000 });
    expect(c.rollouts).toEqual({ tickMs: 2_000 });
    expect(c.storage.kind).toBe('local');
  });

  it('parses overrides', () => {
    const c = loadWorkerConfig({ WORKER_CONCURRENCY: '4', JOB_ATTEMPTS: '5', STALLED_INTERVAL_MS: '1000', LOCK_DURATION_MS: '2000', EVAL_MAX_SAMPLES: '64', QUEUE_PREFIX: 'x', ROLLOUT_TICK_MS: '300' });
    expect(c.rollouts.tickMs).toBe(300);
    expect(c.queue).toMatchObject({ prefix: 'x', concurrency: 4, stalledIntervalMs: 1000, lockDurationMs: 2000, settings: { attempts: 5 } });
    expect(c.evaluation.maxSamples).toBe(64);
  });

  it('lists every bad variable at once', () => {
    let error: unknown;
    try {
      loadWorkerConfig({ WORKER_CONCURRENCY: '0', EVAL_MAX_SAMPLES: 'many', REDIS_URL: 'http://x', ROLLOUT_TICK_MS: '0' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['WORKER_CONCURRENCY', 'EVAL_MAX_SAMPLES', 'REDIS_URL', 'ROLLOUT_TICK_MS']) expect(problems).toContain(name);
  });
});
