import { expect } from 'vitest';
import { graphProblems } from '../src/ir/graph.js';
import { encodeModelProto } from '../src/ir/model-proto.js';
import type { onnx } from '../src/ir/onnx.js';
import { createSession } from '../src/inspect/runtime.js';
import type { PassResult } from '../src/passes/pass-result.js';

/**
 * The contract every pass keeps, checked the same way for each (graphology-style shared specs):
 * the input proto is untouched, the output is a valid acyclic graph with nothing dangling, the
 * graph's input and output names survive, and onnxruntime loads the result.
 */
export async function expectPassInvariants(input: onnx.ModelProto, run: (model: onnx.ModelProto) => Promise<PassResult>): Promise<PassResult> {
  const before = encodeModelProto(input);
  const result = await run(input);
  expect(Buffer.from(encodeModelProto(input)).equals(Buffer.from(before)), 'the pass mutated its input').toBe(true);
  expect(graphProblems(result.model.graph!)).toEqual([]);
  const names = (vs: onnx.IValueInfoProto[] | null | undefined) => (vs ?? []).map((v) => v.name);
  const inits = new Set((input.graph!.initializer ?? []).map((t) => t.name));
  expect(names(result.model.graph!.input).filter((n) => !inits.has(n!))).toEqual(names(input.graph!.input).filter((n) => !inits.has(n!)));
  expect(names(result.model.graph!.output)).toEqual(names(input.graph!.output));
  const session = await createSession(encodeModelProto(result.model));
  await session.release();
  expect(result.report.pass).toBeTruthy();
  return result;
}
