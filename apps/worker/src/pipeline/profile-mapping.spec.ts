import { describe, expect, it } from 'vitest';
import { overallProgress, recipeOverrides, toPipelineStep } from './profile-mapping.js';

describe('profile mapping', () => {
  it('maps compress steps to pipeline steps', () => {
    expect(['optimize', 'calibrate', 'int8-static', 'int8-dynamic', 'fp16', 'prune-channels', 'evaluate'].map(toPipelineStep)).toEqual([
      'optimize',
      'calibrate',
      'quantize',
      'quantize',
      'quantize',
      'quantize',
      'evaluate',
    ]);
  });

  it('spreads progress over recipes and keeps it below the store step', () => {
    expect(overallProgress(0, 2, 'optimize', 0, 1)).toBe(0);
    expect(overallProgress(0, 2, 'evaluate', 10, 10)).toBeCloseTo(0.475);
    expect(overallProgress(1, 2, 'optimize', 1, 1)).toBeGreaterThan(overallProgress(0, 2, 'evaluate', 10, 10));
    expect(overallProgress(1, 2, 'evaluate', 10, 10)).toBeLessThanOrEqual(0.95);
    expect(overallProgress(0, 1, 'evaluate', 5, 0)).toBeCloseTo(0.57);
  });

  it('uses run recipe overrides only when there are some', () => {
    expect(recipeOverrides(null)).toBeUndefined();
    expect(recipeOverrides([])).toBeUndefined();
    expect(recipeOverrides([{ id: 'fp32', precision: 'fp32', steps: [{ name: 'optimize', level: 'basic' }] }])).toHaveLength(1);
  });
});
