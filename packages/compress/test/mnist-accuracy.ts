import { openNpz } from '../src/data/npz.js';
import { ort, withSession } from '../src/inspect/runtime.js';
import { encodeModelProto } from '../src/ir/model-proto.js';
import type { onnx } from '../src/ir/onnx.js';

/** Top-1 accuracy of a 10-class MNIST model on samples [start, start + count) of a labelled .npz. */
export async function accuracyOn(model: onnx.IModelProto, file: string, start: number, count: number): Promise<number> {
  const npz = await openNpz(file);
  const x = await npz.readArray('input');
  const labels = (await npz.readArray('labels')).data as BigInt64Array;
  const per = x.shape.slice(1).reduce((a, b) => a * b, 1);
  return withSession(encodeModelProto(model), async (session) => {
    const input = new ort.Tensor('float32', (x.data as Float32Array).slice(start * per, (start + count) * per), [count, ...x.shape.slice(1)]);
    const logits = (await session.run({ input }))[session.outputNames[0]!]!.data as Float32Array;
    let correct = 0;
    for (let i = 0; i < count; i++) {
      const row = logits.subarray(i * 10, i * 10 + 10);
      if (BigInt(row.indexOf(Math.max(...row))) === labels[start + i]) correct++;
    }
    return correct / count;
  });
}
