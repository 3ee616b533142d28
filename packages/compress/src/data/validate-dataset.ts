import { CompressError } from '../errors.js';
import type { Dim, TensorInfo } from '../ir/tensor-info.js';
import type { NpyDtype } from './npy.js';
import type { NpzArrayInfo } from './npz.js';

export const LABELS_ARRAY = 'labels';
const LABEL_DTYPES: readonly NpyDtype[] = ['int64', 'int32'];

export interface DatasetArray extends NpzArrayInfo {
  role: 'input' | 'labels';
}

export interface DatasetValidation {
  /** Length of axis 0, shared by every array. */
  sampleCount: number;
  hasLabels: boolean;
  /** Model inputs in the model's order, then `labels` when present. */
  arrays: DatasetArray[];
}

/**
 * Checks that a dataset can feed a model: one array per model input (same name and dtype, same
 * rank, axis 0 = samples of any count even when the model fixes its batch, every other fixed dim
 * equal), optional int labels of one per sample, nothing else. All problems are reported at once.
 */
export function validateDatasetForModel(
  arrays: readonly NpzArrayInfo[],
  model: { inputs: readonly TensorInfo[] },
): DatasetValidation {
  const byName = new Map(arrays.map((array) => [array.name, array]));
  const inputNames = new Set(model.inputs.map((input) => input.name));
  const problems: string[] = [];
  const matched: DatasetArray[] = [];

  if (model.inputs.length === 0) problems.push('model has no inputs to feed');
  for (const input of model.inputs) {
    const array = byName.get(input.name);
    if (!array) {
      problems.push(`input "${input.name}": no array named "${input.name}" (dataset has ${listNames(arrays.map((a) => a.name))})`);
      continue;
    }
    const problem = inputProblem(input, array);
    if (problem) problems.push(`input "${input.name}": ${problem}`);
    else matched.push({ ...array, shape: [...array.shape], role: 'input' });
  }
  checkSymbolicDims(model.inputs, byName, problems);

  const labels = inputNames.has(LABELS_ARRAY) ? undefined : byName.get(LABELS_ARRAY);
  for (const array of arrays) {
    if (!inputNames.has(array.name) && array !== labels) {
      problems.push(`array "${array.name}" matches no model input (inputs: ${listNames([...inputNames])})`);
    }
  }

  // Sample counts are compared across every array that has an axis 0, even ones failing other checks.
  const sampled = [...model.inputs.map((input) => byName.get(input.name)), labels].filter(
    (array): array is NpzArrayInfo => array !== undefined && array.shape.length > 0,
  );
  const sampleCount = sampled[0]?.shape[0] ?? 0;
  if (sampled.some((array) => array.shape[0] !== sampleCount)) {
    problems.push(`arrays disagree on the sample count (axis 0): ${sampled.map((a) => `"${a.name}" has ${a.shape[0]}`).join(', ')}`);
  } else if (sampled.length > 0 && sampleCount === 0) {
    problems.push('dataset has no samples (axis 0 is 0)');
  }
  if (labels) {
    if (!LABEL_DTYPES.includes(labels.dtype) || labels.shape.length !== 1) {
      problems.push(`array "labels": expected int64 or int32 of rank 1, got ${labels.dtype} [${labels.shape.join(',')}]`);
    } else {
      matched.push({ ...labels, shape: [...labels.shape], role: 'labels' });
    }
  }

  if (problems.length > 0) throw new CompressError('dataset/mismatch', 'dataset', problems.join('; '));
  return { sampleCount, hasLabels: labels !== undefined, arrays: matched };
}

function inputProblem(input: TensorInfo, array: NpzArrayInfo): string | undefined {
  if (array.dtype !== input.elemType) return `expected ${input.elemType}, got ${array.dtype}`;
  if (input.shape === null) return array.shape.length === 0 ? 'array needs a sample axis (axis 0), got a 0-d array' : undefined;
  if (input.shape.length === 0) return 'model input is a scalar, which leaves no axis for samples';
  const mismatch =
    array.shape.length !== input.shape.length ||
    input.shape.some((dim, axis) => axis > 0 && typeof dim === 'number' && dim !== array.shape[axis]);
  return mismatch ? `expected dims ${formatExpected(input.shape)}, got [${array.shape.join(',')}]` : undefined;
}

/** A dim_param used twice (say `seq` in two inputs) must get the same size everywhere past axis 0. */
function checkSymbolicDims(inputs: readonly TensorInfo[], byName: ReadonlyMap<string, NpzArrayInfo>, problems: string[]): void {
  const seen = new Map<string, { size: number; where: string }>();
  for (const input of inputs) {
    const array = byName.get(input.name);
    if (!array || !input.shape || array.shape.length !== input.shape.length) continue;
    input.shape.forEach((dim, axis) => {
      if (axis === 0 || typeof dim !== 'string') return;
      const size = array.shape[axis]!;
      const where = `"${input.name}" axis ${axis}`;
      const previous = seen.get(dim);
      if (!previous) seen.set(dim, { size, where });
      else if (previous.size !== size) problems.push(`dim "${dim}" is ${previous.size} at ${previous.where} but ${size} at ${where}`);
    });
  }
}

/** Axis 0 shows as `*` because the dataset's sample count replaces the model's batch dim. */
function formatExpected(shape: readonly Dim[]): string {
  return `[${shape.map((dim, axis) => (axis === 0 ? '*' : dim === null ? '?' : String(dim))).join(',')}]`;
}

function listNames(names: readonly string[]): string {
  return names.length === 0 ? 'no arrays' : names.map((n) => `"${n}"`).join(', ');
}
