import { describe, expect, it } from 'vitest';
import { GraphIndex, graphProblems, removeUnusedInitializers, topologicalOrder } from './graph.js';
import { onnx } from './onnx.js';
import { makeTensor } from './tensor-data.js';

const node = (name: string, opType: string, input: string[], output: string[]) => onnx.NodeProto.create({ name, opType, input, output });
const value = (name: string) => onnx.ValueInfoProto.create({ name });

function chain(): onnx.GraphProto {
  return onnx.GraphProto.create({
    name: 'g',
    // Deliberately out of order: c consumes b's output but comes first.
    node: [node('c', 'Relu', ['b_out'], ['y']), node('b', 'Add', ['a_out', 'w'], ['b_out']), node('a', 'Relu', ['x'], ['a_out'])],
    input: [value('x')],
    output: [value('y')],
    initializer: [makeTensor('w', onnx.TensorProto.DataType.FLOAT, [1], new Float32Array([1])), makeTensor('unused', 1, [1], new Float32Array([0]))],
  });
}

describe(GraphIndex.name, () => {
  it('knows producers, consumers and initializers', () => {
    const sut = new GraphIndex(chain());
    expect(sut.producer('b_out')?.name).toBe('b');
    expect(sut.consumers('a_out').map((n) => n.name)).toEqual(['b']);
    expect(sut.initializer('w')).toBeDefined();
    expect(sut.isGraphInput('x')).toBe(true);
    expect(sut.isGraphOutput('y')).toBe(true);
  });

  it('allocates names that collide with nothing', () => {
    const sut = new GraphIndex(chain());
    expect(sut.uniqueName('a_out')).toBe('a_out_1');
    expect(sut.uniqueName('a_out')).toBe('a_out_2');
    expect(sut.uniqueName('fresh')).toBe('fresh');
  });
});

describe('graph checks', () => {
  it('orders nodes topologically', () => {
    expect(topologicalOrder(chain()).map((n) => n.name)).toEqual(['a', 'b', 'c']);
  });

  it('finds dangling inputs, missing outputs, duplicates and cycles', () => {
    expect(graphProblems(chain())).toEqual([]);
    const broken = chain();
    broken.node.push(node('d', 'Relu', ['nowhere'], ['a_out']));
    broken.output.push(value('ghost'));
    const problems = graphProblems(broken).join('\n');
    expect(problems).toContain('"a_out" is defined more than once');
    expect(problems).toContain('reads "nowhere"');
    expect(problems).toContain('"ghost" is not produced');
    const cyclic = onnx.GraphProto.create({ node: [node('p', 'Relu', ['q_out'], ['p_out']), node('q', 'Relu', ['p_out'], ['q_out'])], output: [value('p_out')] });
    expect(graphProblems(cyclic).join()).toContain('cycle');
  });

  it('removes initializers nothing reads, including their IR<4 input entries', () => {
    const g = chain();
    g.input.push(value('unused'));
    expect(removeUnusedInitializers(g)).toBe(1);
    expect(g.initializer.map((t) => t.name)).toEqual(['w']);
    expect(g.input.map((v) => v.name)).toEqual(['x']);
  });
});
