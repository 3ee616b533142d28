import { describe, expect, it } from 'vitest';
import { parseLabels, validateDatasetForm, validateModelForm, validateRerunForm, validateVersionForm } from './validation';

const file = (name: string, size = 10) => new File([new Uint8Array(size)], name);

describe('model form', () => {
  it('splits comma-separated labels', () => {
    expect(parseLabels(' cat, dog,, bird ,')).toEqual(['cat', 'dog', 'bird']);
    expect(parseLabels('')).toEqual([]);
  });

  it('accepts a valid model and trims the name', () => {
    expect(validateModelForm({ name: ' lenet ', task: 'image-classification', labels: '0,1' })).toEqual({
      ok: true,
      value: { name: 'lenet', task: 'image-classification', labels: ['0', '1'] },
    });
  });

  it('reports every bad field at once', () => {
    const res = validateModelForm({ name: '../x', task: 'poetry', labels: 'a,a' });
    expect(res.ok).toBe(false);
    if (!res.ok) expect(Object.keys(res.errors).sort()).toEqual(['labels', 'name', 'task']);
    const empty = validateModelForm({ name: '', task: 'other', labels: '' });
    expect(!empty.ok && empty.errors.name).toBe('required');
  });
});

describe('upload forms', () => {
  it('requires an .onnx file and a semantic version when given', () => {
    expect(validateVersionForm({ file: null, semver: '', notes: '' }).ok).toBe(false);
    expect(validateVersionForm({ file: file('m.pt'), semver: '', notes: '' }).ok).toBe(false);
    const bad = validateVersionForm({ file: file('m.onnx'), semver: 'v1', notes: '' });
    expect(!bad.ok && bad.errors.semver).toBeTruthy();
    const good = validateVersionForm({ file: file('m.ONNX'), semver: ' 1.2.0-rc.1 ', notes: '' });
    expect(good.ok && good.value.semver).toBe('1.2.0-rc.1');
  });

  it('requires an .npz dataset with a safe name and a known purpose', () => {
    expect(validateDatasetForm({ file: file('d.npz'), name: 'eval-9k', purpose: 'evaluation' }).ok).toBe(true);
    const res = validateDatasetForm({ file: file('d.csv'), name: 'a b', purpose: 'training' });
    expect(!res.ok && Object.keys(res.errors).sort()).toEqual(['file', 'name', 'purpose']);
  });
});

describe(validateRerunForm.name, () => {
  it('sends an empty body for all profiles and default recipes', () => {
    expect(validateRerunForm({ profiles: [], recipesJson: '  ' })).toEqual({ ok: true, value: {} });
  });

  it('passes ticked profiles and one recipe or a list', () => {
    const recipe = { id: 'int8-dyn', precision: 'int8', steps: [{ name: 'int8-dynamic' }] };
    const one = validateRerunForm({ profiles: ['cpu', 'cpu', 'gpu'], recipesJson: JSON.stringify(recipe) });
    expect(one).toEqual({ ok: true, value: { profiles: ['cpu', 'gpu'], recipes: [recipe] } });
    expect(validateRerunForm({ profiles: [], recipesJson: JSON.stringify([recipe]) }).ok).toBe(true);
  });

  it('rejects broken JSON, bad recipes and duplicate ids', () => {
    const cases = ['{', '[]', '{"id":"Bad","precision":"int8","steps":[{"name":"x"}]}', '{"id":"a","precision":"int4","steps":[{"name":"x"}]}', '{"id":"a","precision":"int8","steps":[]}'];
    for (const recipesJson of cases) expect(validateRerunForm({ profiles: [], recipesJson }).ok, recipesJson).toBe(false);
    const r = { id: 'a', precision: 'fp16', steps: [{ name: 'fp16' }] };
    const dup = validateRerunForm({ profiles: [], recipesJson: JSON.stringify([r, r]) });
    expect(!dup.ok && dup.errors.recipesJson).toBe('recipe ids must be unique');
  });
});
