import { describe, expect, it } from 'vitest';
import { RecipeSchema, RecipeStepSchema, TriggerPipelineRequest } from './pipelines.js';

describe('recipe contracts', () => {
  it('accepts prune → distill → int8 as a recipe override', () => {
    const body = {
      recipes: [{ id: 'pruned50-distilled-int8', precision: 'int8', steps: [{ name: 'prune-channels', ratio: 0.5 }, { name: 'distill' }, { name: 'int8-static' }] }],
    };
    expect(TriggerPipelineRequest.safeParse(body).success).toBe(true);
    expect(RecipeSchema.parse(body.recipes[0]).steps[1]).toEqual({ name: 'distill' });
  });

  it('accepts distill options within bounds', () => {
    const step = { name: 'distill', epochs: 100, temperature: 20, alpha: 0, learningRate: 1 };
    expect(RecipeStepSchema.parse(step)).toEqual(step);
    expect(RecipeStepSchema.safeParse({ name: 'distill', epochs: 1, temperature: 0.5, alpha: 1, learningRate: 0.001 }).success).toBe(true);
  });

  it('accepts a built-in student with its width and optimizer', () => {
    const step = { name: 'distill', student: 'dwcnn', width: 0.5, optimizer: 'adam' };
    expect(RecipeStepSchema.parse(step)).toEqual(step);
  });

  it('rejects distill options out of bounds or unknown', () => {
    for (const bad of [
      { epochs: 0 },
      { epochs: 101 },
      { epochs: 2.5 },
      { temperature: 0 },
      { temperature: 21 },
      { alpha: -0.1 },
      { alpha: 1.1 },
      { learningRate: 0 },
      { learningRate: 2 },
      { teacher: 'x.onnx' },
      { student: 'resnet50' },
      { width: 0 },
      { optimizer: 'rmsprop' },
    ]) {
      expect(RecipeStepSchema.safeParse({ name: 'distill', ...bad }).success, JSON.stringify(bad)).toBe(false);
    }
  });
});
