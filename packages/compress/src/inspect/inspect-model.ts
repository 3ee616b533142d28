import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CompressError, describeCause } from '../errors.js';
import { externalDataBytes, hasExternalData, inlineExternalData } from '../ir/external-data.js';
import { initializerBytes, opHistogram, parameterCount, runtimeInputs } from '../ir/graph-stats.js';
import { encodeModelProto, loadModelProto } from '../ir/model-proto.js';
import { int64ToNumber, type onnx } from '../ir/onnx.js';
import { describeValueInfo } from '../ir/tensor-info.js';
import { estimateMacs, type MacEstimate } from './macs.js';
import { runtimeVersion, withSession } from './runtime.js';
import type { InspectOptions, ModelInspection } from './types.js';

// protobuf's hard 2 GiB message limit, with headroom for the graph itself.
const MAX_INLINE_BYTES = 1.8 * 1024 ** 3;

/**
 * Describes a model and proves onnxruntime-node can load it. Accepts the serialized model or a
 * path; with a path, external-data files are resolved next to it.
 */
export async function inspectModel(source: Uint8Array | string, options: InspectOptions = {}): Promise<ModelInspection> {
  const modelPath = typeof source === 'string' ? path.resolve(source) : undefined;
  const bytes = modelPath === undefined ? (source as Uint8Array) : await readModelFile(modelPath);
  const model = loadModelProto(bytes);
  const runnable = await runnableForm(model, bytes, modelPath, options.baseDir);

  // The verdict is whether ORT opens the unmodified model; the probe below runs a modified copy.
  await withSession(runnable.session, async () => undefined);

  const graph = model.graph ?? {};
  const inputs = runtimeInputs(graph).map(describeValueInfo);
  const macs: MacEstimate =
    options.computeMacs === false
      ? { macs: null, macsByOp: {}, macsNote: 'not computed (computeMacs: false)' }
      : runnable.inline
        ? await estimateMacs(runnable.inline, inputs)
        : { macs: null, macsByOp: {}, macsNote: runnable.whyNoProbe };

  return {
    irVersion: int64ToNumber(model.irVersion),
    opsets: model.opsetImport.map((o) => ({ domain: o.domain ?? '', version: int64ToNumber(o.version) })),
    producer: { name: model.producerName ?? '', version: model.producerVersion ?? '' },
    graphName: graph.name ?? '',
    ...(model.docString ? { docString: model.docString } : {}),
    inputs,
    outputs: (graph.output ?? []).map(describeValueInfo),
    nodeCount: (graph.node ?? []).length,
    opHistogram: opHistogram(graph),
    parameterCount: parameterCount(graph),
    initializerBytes: initializerBytes(graph),
    ...macs,
    runtime: { loaded: true, version: runtimeVersion() },
  };
}

interface Runnable {
  /** What ORT opens to decide whether the model loads. */
  session: string | Uint8Array;
  /** The model with all weights in memory, for the MAC probe; absent when too large to hold. */
  inline?: onnx.IModelProto;
  whyNoProbe: string;
}

async function runnableForm(
  model: onnx.ModelProto,
  bytes: Uint8Array,
  modelPath: string | undefined,
  baseDir: string | undefined,
): Promise<Runnable> {
  if (!hasExternalData(model)) return { session: bytes, inline: model, whyNoProbe: '' };
  const dir = modelPath === undefined ? baseDir : path.dirname(modelPath);
  if (dir === undefined) {
    throw new CompressError(
      'model/external_data_unsupported',
      'inspect',
      'model keeps tensors in external data files; inspect it by file path or pass options.baseDir',
    );
  }
  if (externalDataBytes(model) <= MAX_INLINE_BYTES) {
    const inline = await inlineExternalData(model, dir);
    return { session: encodeModelProto(inline), inline, whyNoProbe: '' };
  }
  if (modelPath === undefined) {
    throw new CompressError(
      'model/external_data_unsupported',
      'inspect',
      'external data exceeds what fits in one protobuf buffer; inspect the model by file path',
    );
  }
  // ORT streams external data itself when it opens the file; only our probe needs it in memory.
  return { session: modelPath, whyNoProbe: 'shape probe not run: external data too large to load into memory' };
}

async function readModelFile(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new CompressError('io/read_failed', 'inspect', `cannot read model file ${file}: ${describeCause(err)}`, { cause: err });
  }
}
