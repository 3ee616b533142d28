import type { CreateModelRequest, DatasetPurpose, RecipeDto, TriggerPipelineRequest } from '@edgefleet/contracts';

// Mirrors of the contracts' zod rules: the dashboard imports contracts as types only, so the few rules a
// form checks before sending are repeated here; the API stays the authority and its message is shown.

export type ModelTask = CreateModelRequest['task'];
export const MODEL_TASKS = ['image-classification', 'object-detection', 'segmentation', 'regression', 'other'] as const satisfies readonly ModelTask[];
// Fails to compile when the contracts gain a task this list lacks.
const _allTasks: Record<ModelTask, true> = { 'image-classification': true, 'object-detection': true, segmentation: true, regression: true, other: true };
void _allTasks;

export const DATASET_PURPOSES = ['evaluation', 'calibration'] as const satisfies readonly DatasetPurpose[];

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const SEMVER_RE = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;
const RECIPE_ID_RE = /^[a-z0-9][a-z0-9.-]*$/;

export type FieldErrors<K extends string> = Partial<Record<K, string>>;
export type Validated<T, K extends string> = { ok: true; value: T } | { ok: false; errors: FieldErrors<K> };

/** "cat, dog,, bird " → ["cat", "dog", "bird"]. */
export function parseLabels(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function nameError(name: string): string | undefined {
  if (name.length === 0) return 'required';
  if (name.length > 100) return 'at most 100 characters';
  if (!NAME_RE.test(name)) return 'letters, digits, ".", "_" and "-", starting with a letter or digit';
  return undefined;
}

export interface ModelFormInput {
  name: string;
  task: string;
  labels: string;
}

export function validateModelForm(input: ModelFormInput): Validated<CreateModelRequest, keyof ModelFormInput> {
  const errors: FieldErrors<keyof ModelFormInput> = {};
  const name = input.name.trim();
  const nameErr = nameError(name);
  if (nameErr) errors.name = nameErr;
  const task = MODEL_TASKS.find((t) => t === input.task);
  if (!task) errors.task = 'choose a task';
  const labels = parseLabels(input.labels);
  if (labels.length > 10_000) errors.labels = 'at most 10,000 labels';
  else if (labels.some((l) => l.length > 200)) errors.labels = 'each label at most 200 characters';
  else if (new Set(labels).size !== labels.length) errors.labels = 'labels must not repeat';
  if (Object.keys(errors).length > 0 || !task) return { ok: false, errors };
  return { ok: true, value: { name, task, labels } };
}

export interface VersionFormInput {
  file: File | null;
  semver: string;
  notes: string;
}

export function validateVersionForm(input: VersionFormInput): Validated<{ file: File; semver?: string; notes?: string }, keyof VersionFormInput> {
  const errors: FieldErrors<keyof VersionFormInput> = {};
  if (!input.file) errors.file = 'choose an .onnx file';
  else if (!input.file.name.toLowerCase().endsWith('.onnx')) errors.file = 'the file must be an .onnx model';
  else if (input.file.size === 0) errors.file = 'the file is empty';
  const semver = input.semver.trim();
  if (semver && !SEMVER_RE.test(semver)) errors.semver = 'a semantic version such as 1.2.0';
  if (input.notes.length > 5000) errors.notes = 'at most 5000 characters';
  if (Object.keys(errors).length > 0 || !input.file) return { ok: false, errors };
  return { ok: true, value: { file: input.file, semver: semver || undefined, notes: input.notes.trim() || undefined } };
}

export interface DatasetFormInput {
  file: File | null;
  name: string;
  purpose: string;
}

export function validateDatasetForm(input: DatasetFormInput): Validated<{ file: File; name: string; purpose: DatasetPurpose }, keyof DatasetFormInput> {
  const errors: FieldErrors<keyof DatasetFormInput> = {};
  if (!input.file) errors.file = 'choose an .npz file';
  else if (!input.file.name.toLowerCase().endsWith('.npz')) errors.file = 'the file must be an .npz archive';
  const name = input.name.trim();
  const nameErr = nameError(name);
  if (nameErr) errors.name = nameErr;
  const purpose = DATASET_PURPOSES.find((p) => p === input.purpose);
  if (!purpose) errors.purpose = 'calibration or evaluation';
  if (Object.keys(errors).length > 0 || !input.file || !purpose) return { ok: false, errors };
  return { ok: true, value: { file: input.file, name, purpose } };
}

export interface RerunFormInput {
  profiles: string[];
  recipesJson: string;
}

function recipeProblem(r: unknown, i: number): string | undefined {
  if (r === null || typeof r !== 'object' || Array.isArray(r)) return `recipe ${i + 1}: must be an object`;
  const rec = r as Record<string, unknown>;
  if (typeof rec.id !== 'string' || !RECIPE_ID_RE.test(rec.id) || rec.id.length > 64) return `recipe ${i + 1}: "id" must be lowercase letters, digits, "." and "-"`;
  if (rec.precision !== 'fp32' && rec.precision !== 'fp16' && rec.precision !== 'int8') return `recipe ${rec.id}: "precision" must be fp32, fp16 or int8`;
  if (!Array.isArray(rec.steps) || rec.steps.length === 0 || rec.steps.length > 8) return `recipe ${rec.id}: "steps" must be a list of 1 to 8 steps`;
  if (rec.steps.some((s) => s === null || typeof s !== 'object' || typeof (s as Record<string, unknown>).name !== 'string')) {
    return `recipe ${rec.id}: every step needs a "name"`;
  }
  return undefined;
}

/**
 * The re-run form: no profile ticked means every profile (the API's default). The optional recipe JSON
 * is one recipe or a list; its shape is checked loosely here and fully by the API.
 */
export function validateRerunForm(input: RerunFormInput): Validated<TriggerPipelineRequest, keyof RerunFormInput> {
  const body: TriggerPipelineRequest = {};
  if (input.profiles.length > 0) body.profiles = [...new Set(input.profiles)];
  const raw = input.recipesJson.trim();
  if (raw) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (err) {
      return { ok: false, errors: { recipesJson: `not valid JSON: ${(err as Error).message}` } };
    }
    const list = Array.isArray(parsed) ? parsed : [parsed];
    if (list.length === 0 || list.length > 10) return { ok: false, errors: { recipesJson: 'give 1 to 10 recipes' } };
    const problem = list.map(recipeProblem).find((p) => p !== undefined);
    if (problem) return { ok: false, errors: { recipesJson: problem } };
    const ids = list.map((r) => (r as RecipeDto).id);
    if (new Set(ids).size !== ids.length) return { ok: false, errors: { recipesJson: 'recipe ids must be unique' } };
    body.recipes = list as RecipeDto[];
  }
  return { ok: true, value: body };
}
