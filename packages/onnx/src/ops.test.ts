import { describeWithBackends } from '@attrib/test-utils';
import { expectMatchesOnnxRuntime, tensorSpec, values } from './onnxruntime.test-helper.js';
import type { OnnxAttributeSpec, OnnxModelSpec, OnnxNodeSpec, OnnxTensorSpec } from './write-onnx.js';

const image = (shape: number[], seed = 7) => ({
  x: {
    shape,
    data: values(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
  },
});

/** One node `op(x, ...initializers) → y` with a batch-free input shape `[N, ...shape]`. */
function single(
  op: string,
  shape: number[],
  attributes: Record<string, OnnxAttributeSpec> = {},
  initializers: Record<string, OnnxTensorSpec> = {},
  opset = 13,
): OnnxModelSpec {
  return {
    opset,
    inputs: [{ name: 'x', shape: ['N', ...shape] }],
    outputs: [{ name: 'y' }],
    initializers,
    nodes: [{ op, inputs: ['x', ...Object.keys(initializers)], outputs: ['y'], attributes }],
  };
}

function chain(
  nodes: OnnxNodeSpec[],
  shape: number[],
  initializers: Record<string, OnnxTensorSpec> = {},
  opset = 13,
): OnnxModelSpec {
  return {
    opset,
    inputs: [{ name: 'x', shape: ['N', ...shape] }],
    outputs: [{ name: nodes[nodes.length - 1].outputs[0] }],
    initializers,
    nodes,
  };
}

const int64 = (data: number[]): OnnxTensorSpec => ({ shape: [data.length], data, type: 'int64' });

describeWithBackends('ONNX ops against onnxruntime', ['cpu', 'wasm'], () => {
  describe('convolution (NCHW model, NHWC graph)', () => {
    it('Conv 3×3, pads 1, bias', async () => {
      const spec = single(
        'Conv',
        [3, 6, 5],
        { pads: { ints: [1, 1, 1, 1] } },
        { w: tensorSpec([4, 3, 3, 3], 1), b: tensorSpec([4], 2) },
      );
      await expectMatchesOnnxRuntime(spec, image([2, 3, 6, 5]));
    });
    it('Conv stride 2 or dilation 2, asymmetric pads, no bias', async () => {
      // tfjs has no kernel for strides and dilations together (conv2d refuses them, a typed error).
      const variants: Array<Record<string, OnnxAttributeSpec>> = [
        { strides: { ints: [2, 2] }, pads: { ints: [2, 0, 1, 1] } },
        { dilations: { ints: [2, 1] }, pads: { ints: [2, 0, 1, 1] } },
      ];
      for (const attributes of variants) {
        const spec = single('Conv', [2, 7, 6], attributes, { w: tensorSpec([3, 2, 3, 2], 3) });
        await expectMatchesOnnxRuntime(spec, image([2, 2, 7, 6]));
      }
    });
    it('Conv auto_pad SAME_UPPER and SAME_LOWER with stride 2', async () => {
      for (const mode of ['SAME_UPPER', 'SAME_LOWER']) {
        const attributes = { strides: { ints: [2, 2] }, auto_pad: { s: mode } };
        await expectMatchesOnnxRuntime(
          single('Conv', [2, 6, 5], attributes, { w: tensorSpec([3, 2, 2, 3], 4) }),
          image([1, 2, 6, 5]),
        );
      }
    });
    it('Conv with groups, and depthwise with a channel multiplier', async () => {
      const grouped = single(
        'Conv',
        [4, 5, 5],
        { group: { i: 2 } },
        { w: tensorSpec([6, 2, 3, 3], 5), b: tensorSpec([6], 6) },
      );
      await expectMatchesOnnxRuntime(grouped, image([2, 4, 5, 5]));
      const depthwise = single(
        'Conv',
        [3, 5, 5],
        { group: { i: 3 }, pads: { ints: [1, 1, 1, 1] } },
        { w: tensorSpec([6, 1, 3, 3], 7) },
      );
      await expectMatchesOnnxRuntime(depthwise, image([2, 3, 5, 5]));
    });
    it('Conv 1-D (NCL)', async () => {
      const spec = single(
        'Conv',
        [3, 9],
        { pads: { ints: [1, 2] }, strides: { ints: [2] } },
        { w: tensorSpec([4, 3, 3], 8), b: tensorSpec([4], 9) },
      );
      await expectMatchesOnnxRuntime(spec, image([2, 3, 9]));
    });
    it('ConvTranspose stride 2, pads 1, output_padding 1', async () => {
      const attributes = {
        strides: { ints: [2, 2] },
        pads: { ints: [1, 1, 1, 1] },
        output_padding: { ints: [1, 1] },
      };
      const spec = single('ConvTranspose', [3, 4, 5], attributes, {
        w: tensorSpec([3, 2, 3, 3], 10),
        b: tensorSpec([2], 11),
      });
      await expectMatchesOnnxRuntime(spec, image([2, 3, 4, 5]));
    });
  });

  describe('linear maps', () => {
    it('Gemm with transB, alpha and beta', async () => {
      const spec = single(
        'Gemm',
        [5],
        { transB: { i: 1 }, alpha: { f: 0.5 }, beta: { f: 2 } },
        { w: tensorSpec([3, 5], 12), b: tensorSpec([3], 13) },
      );
      await expectMatchesOnnxRuntime(spec, image([4, 5]));
    });
    it('Flatten → Gemm after a conv: the rows follow NHWC flatten order', async () => {
      const spec = chain(
        [
          { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attributes: { pads: { ints: [1, 1, 1, 1] } } },
          { op: 'Relu', inputs: ['c'], outputs: ['r'] },
          { op: 'Flatten', inputs: ['r'], outputs: ['f'] },
          { op: 'Gemm', inputs: ['f', 'fc', 'fb'], outputs: ['y'], attributes: { transB: { i: 1 } } },
        ],
        [2, 3, 4],
        { w: tensorSpec([3, 2, 3, 3], 14), fc: tensorSpec([5, 36], 15), fb: tensorSpec([5], 16) },
      );
      const graph = await expectMatchesOnnxRuntime(spec, image([3, 2, 3, 4]));
      expect(graph.nodes.map((n) => n.module.kind)).toEqual(['conv2d', 'relu', 'flatten', 'linear']);
    });
    it('x.view(x.size(0), -1) (Shape → Gather → Unsqueeze → Concat → Reshape) folds to a flatten', async () => {
      const spec = chain(
        [
          { op: 'Shape', inputs: ['x'], outputs: ['s'] },
          { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'], attributes: { axis: { i: 0 } } },
          { op: 'Unsqueeze', inputs: ['n', 'axes'], outputs: ['n1'] },
          { op: 'Concat', inputs: ['n1', 'minus1'], outputs: ['target'], attributes: { axis: { i: 0 } } },
          { op: 'Reshape', inputs: ['x', 'target'], outputs: ['f'] },
          { op: 'MatMul', inputs: ['f', 'w'], outputs: ['y'] },
        ],
        [2, 2, 3],
        {
          zero: { shape: [], data: [0], type: 'int64' },
          axes: int64([0]),
          minus1: int64([-1]),
          w: tensorSpec([12, 4], 17),
        },
      );
      const graph = await expectMatchesOnnxRuntime(spec, image([2, 2, 2, 3]));
      expect(graph.nodes.map((n) => n.module.kind)).toEqual(['flatten', 'linear']);
    });
    it('MatMul of two computed tensors after Reshape and Transpose chains', async () => {
      // [N,C,H,W] → [N,C,HW] → [N,HW,C] (transpose) → (·)·[N,C,HW] → [N,HW,HW]
      const spec = chain(
        [
          { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['r'] },
          { op: 'Transpose', inputs: ['r'], outputs: ['t'], attributes: { perm: { ints: [0, 2, 1] } } },
          { op: 'MatMul', inputs: ['t', 'r'], outputs: ['m'] },
          { op: 'Softmax', inputs: ['m'], outputs: ['y'], attributes: { axis: { i: 1 } } },
        ],
        [3, 2, 2],
        { shape: int64([0, 3, 4]) },
      );
      await expectMatchesOnnxRuntime(spec, image([2, 3, 2, 2]));
    });
    it('Transpose, Reshape and Unsqueeze chains on a channels-last map', async () => {
      const spec = chain(
        [
          { op: 'Transpose', inputs: ['x'], outputs: ['t'], attributes: { perm: { ints: [0, 2, 3, 1] } } },
          { op: 'Reshape', inputs: ['t', 'shape'], outputs: ['r'] },
          { op: 'Unsqueeze', inputs: ['r', 'axes'], outputs: ['u'] },
          { op: 'Squeeze', inputs: ['u', 'axes'], outputs: ['s'] },
          { op: 'MatMul', inputs: ['s', 'w'], outputs: ['y'] },
        ],
        [3, 2, 4],
        { shape: int64([-1, 8, 3]), axes: int64([1]), w: tensorSpec([3, 5], 18) },
      );
      await expectMatchesOnnxRuntime(spec, image([2, 3, 2, 4]));
    });
  });

  describe('elementwise', () => {
    const activations: Array<[string, Record<string, OnnxAttributeSpec>]> = [
      ['Relu', {}],
      ['Sigmoid', {}],
      ['Tanh', {}],
      ['Softplus', {}],
      ['Exp', {}],
      ['Elu', {}],
      ['Selu', {}],
      ['LeakyRelu', { alpha: { f: 0.2 } }],
      ['HardSigmoid', { alpha: { f: 0.3 }, beta: { f: 0.4 } }],
      ['HardSwish', {}],
    ];
    it.each(activations)('%s', async (op, attributes) => {
      const x = { x: { shape: [2, 3, 4, 2], data: values(48, 19).map((v) => 4 * v) } };
      // HardSwish arrived in opset 14.
      await expectMatchesOnnxRuntime(single(op, [3, 4, 2], attributes, {}, 14), x);
    });
    it('Clip as relu6, as relu and with both bounds; PRelu per channel', async () => {
      const x = { x: { shape: [2, 3, 4, 2], data: values(48, 20).map((v) => 8 * v) } };
      const clip = (min: number, max?: number) =>
        single(
          'Clip',
          [3, 4, 2],
          {},
          {
            min: { shape: [], data: [min] },
            ...(max === undefined ? {} : { max: { shape: [], data: [max] } }),
          },
        );
      for (const [min, max, kind] of [
        [0, 6, 'relu6'],
        [0, undefined, 'relu'],
        [-1, 2.5, 'clip'],
      ] as const) {
        const graph = await expectMatchesOnnxRuntime(clip(min, max), x);
        expect(graph.nodes[0].module.kind).toBe(kind);
      }
      await expectMatchesOnnxRuntime(single('PRelu', [3, 4, 2], {}, { slope: tensorSpec([3, 1, 1], 21) }), x);
    });
    it('Add, Sub, Mul, Div with per-channel constants fold into scaleShift', async () => {
      for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
        const c = { shape: [3, 1, 1], data: [0.5, -2, 3] };
        const graph = await expectMatchesOnnxRuntime(single(op, [3, 2, 2], {}, { c }), image([2, 3, 2, 2]));
        expect(graph.nodes.map((n) => n.module.kind)).toEqual(['scaleShift']);
        // constant first: c − x, c / x
        const first: OnnxModelSpec = {
          ...single(op, [3, 2, 2], {}, { c }),
          nodes: [{ op, inputs: ['c', 'x'], outputs: ['y'] }],
        };
        await expectMatchesOnnxRuntime(first, image([2, 3, 2, 2]));
      }
    });
    it('Add, Mul of two computed tensors, with broadcasting (a squeeze-excite gate)', async () => {
      const spec = chain(
        [
          { op: 'GlobalAveragePool', inputs: ['x'], outputs: ['g'] },
          { op: 'Sigmoid', inputs: ['g'], outputs: ['s'] },
          { op: 'Mul', inputs: ['x', 's'], outputs: ['m'] },
          { op: 'Add', inputs: ['m', 'x'], outputs: ['y'] },
        ],
        [3, 4, 4],
      );
      await expectMatchesOnnxRuntime(spec, image([2, 3, 4, 4]));
    });
    it('Softmax and LogSoftmax over the channel axis of an NCHW map', async () => {
      await expectMatchesOnnxRuntime(single('Softmax', [3, 2, 2], { axis: { i: 1 } }), image([2, 3, 2, 2]));
      await expectMatchesOnnxRuntime(
        single('LogSoftmax', [3, 2, 2], { axis: { i: 1 } }),
        image([2, 3, 2, 2]),
      );
    });
  });

  describe('pooling, normalisation, resizing', () => {
    it('MaxPool with pads and ceil_mode; AveragePool with and without count_include_pad', async () => {
      const pads = {
        kernel_shape: { ints: [3, 3] },
        strides: { ints: [2, 2] },
        pads: { ints: [1, 1, 1, 1] },
      };
      await expectMatchesOnnxRuntime(single('MaxPool', [2, 7, 6], pads), image([2, 2, 7, 6]));
      await expectMatchesOnnxRuntime(
        single('MaxPool', [2, 7, 6], {
          kernel_shape: { ints: [2, 2] },
          strides: { ints: [2, 2] },
          ceil_mode: { i: 1 },
        }),
        image([2, 2, 7, 6]),
      );
      await expectMatchesOnnxRuntime(single('AveragePool', [2, 7, 6], pads), image([2, 2, 7, 6]));
      await expectMatchesOnnxRuntime(
        single('AveragePool', [2, 7, 6], { ...pads, count_include_pad: { i: 1 } }),
        image([2, 2, 7, 6]),
      );
    });
    it('Pad + AveragePool (torch AvgPool2d) folds into one avgpool2d; a lone Pad becomes a pad node', async () => {
      const spec = chain(
        [
          { op: 'Pad', inputs: ['x', 'pads'], outputs: ['p'] },
          {
            op: 'AveragePool',
            inputs: ['p'],
            outputs: ['y'],
            attributes: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } },
          },
        ],
        [2, 4, 4],
        { pads: int64([0, 0, 1, 1, 0, 0, 1, 1]) },
      );
      const graph = await expectMatchesOnnxRuntime(spec, image([2, 2, 4, 4]));
      expect(graph.nodes.map((n) => n.module.kind)).toEqual(['avgpool2d']);
      const lone = single(
        'Pad',
        [2, 4, 4],
        {},
        { pads: int64([0, 0, 1, 2, 0, 0, 3, 0]), value: { shape: [], data: [0.5] } },
      );
      await expectMatchesOnnxRuntime(lone, image([2, 2, 4, 4]));
    });
    it('GlobalAveragePool, GlobalMaxPool, then Flatten (no node)', async () => {
      for (const op of ['GlobalAveragePool', 'GlobalMaxPool']) {
        const spec = chain(
          [
            { op, inputs: ['x'], outputs: ['g'] },
            { op: 'Flatten', inputs: ['g'], outputs: ['y'] },
          ],
          [3, 4, 5],
        );
        const graph = await expectMatchesOnnxRuntime(spec, image([2, 3, 4, 5]));
        expect(graph.nodes).toHaveLength(1);
      }
    });
    it('BatchNormalization on a map and on features', async () => {
      const bn = {
        s: tensorSpec([3], 22),
        b: tensorSpec([3], 23),
        m: tensorSpec([3], 24),
        v: { shape: [3], data: [0.5, 1, 2] },
      };
      await expectMatchesOnnxRuntime(
        single('BatchNormalization', [3, 2, 2], { epsilon: { f: 1e-3 } }, bn),
        image([2, 3, 2, 2]),
      );
      await expectMatchesOnnxRuntime(single('BatchNormalization', [3], {}, bn), image([4, 3]));
    });
    it('ReduceMean and ReduceSum over spatial axes, with and without keepdims', async () => {
      await expectMatchesOnnxRuntime(
        single('ReduceMean', [3, 2, 4], { axes: { ints: [2, 3] }, keepdims: { i: 0 } }),
        image([2, 3, 2, 4]),
      );
      await expectMatchesOnnxRuntime(
        single('ReduceMean', [3, 2, 4], { axes: { ints: [-1] } }),
        image([2, 3, 2, 4]),
      );
      const sum = single('ReduceSum', [3, 2, 4], { keepdims: { i: 0 } }, { axes: int64([1, 3]) });
      await expectMatchesOnnxRuntime(sum, image([2, 3, 2, 4]));
    });
    it('Resize: nearest ×2 (asymmetric, floor) and bilinear (half_pixel)', async () => {
      const scales = { roi: { shape: [0], data: [] }, scales: { shape: [4], data: [1, 1, 2, 2] } };
      const nearest = {
        mode: { s: 'nearest' },
        coordinate_transformation_mode: { s: 'asymmetric' },
        nearest_mode: { s: 'floor' },
      };
      await expectMatchesOnnxRuntime(single('Resize', [2, 3, 4], nearest, scales), image([2, 2, 3, 4]));
      const linear = { mode: { s: 'linear' }, coordinate_transformation_mode: { s: 'half_pixel' } };
      await expectMatchesOnnxRuntime(single('Resize', [2, 3, 4], linear, scales), image([2, 2, 3, 4]));
    });
  });

  describe('shape ops', () => {
    it('Concat on the channel axis of two convolutions', async () => {
      const spec = chain(
        [
          { op: 'Conv', inputs: ['x', 'w1'], outputs: ['a'] },
          { op: 'Conv', inputs: ['x', 'w2'], outputs: ['b'] },
          { op: 'Concat', inputs: ['a', 'b'], outputs: ['c'], attributes: { axis: { i: 1 } } },
          { op: 'Conv', inputs: ['c', 'w3'], outputs: ['y'] },
        ],
        [2, 4, 4],
        {
          w1: tensorSpec([3, 2, 1, 1], 25),
          w2: tensorSpec([2, 2, 1, 1], 26),
          w3: tensorSpec([2, 5, 2, 2], 27),
        },
      );
      const graph = await expectMatchesOnnxRuntime(spec, image([2, 2, 4, 4]));
      expect(graph.nodes.find((n) => n.module.kind === 'concat')!.module.config.axis).toBe(3);
    });
    it('Slice of channels and rows; Gather of one channel', async () => {
      const slice = single(
        'Slice',
        [4, 5, 3],
        {},
        { starts: int64([1, -4]), ends: int64([3, 100]), axes: int64([1, 2]) },
      );
      await expectMatchesOnnxRuntime(slice, image([2, 4, 5, 3]));
      const gather = single(
        'Gather',
        [4, 5, 3],
        { axis: { i: 1 } },
        { index: { shape: [], data: [2], type: 'int64' } },
      );
      await expectMatchesOnnxRuntime(gather, image([2, 4, 5, 3]));
    });
    it('Identity, Dropout and Constant', async () => {
      const spec = chain(
        [
          { op: 'Identity', inputs: ['x'], outputs: ['i'] },
          { op: 'Dropout', inputs: ['i'], outputs: ['d'] },
          {
            op: 'Constant',
            inputs: [],
            outputs: ['k'],
            attributes: { value: { t: { shape: [1], data: [3] } } },
          },
          { op: 'Mul', inputs: ['d', 'k'], outputs: ['y'] },
        ],
        [3],
      );
      await expectMatchesOnnxRuntime(spec, image([2, 3]));
    });
  });

  describe('text', () => {
    it('Gather on int64 ids (embedding), LayerNormalization, MatMul', async () => {
      const spec: OnnxModelSpec = {
        opset: 17,
        inputs: [{ name: 'ids', shape: ['N', 4], type: 'int64' }],
        outputs: [{ name: 'y' }],
        initializers: {
          table: tensorSpec([10, 6], 28),
          g: tensorSpec([6], 29),
          b: tensorSpec([6], 30),
          w: tensorSpec([6, 2], 31),
        },
        nodes: [
          { op: 'Gather', inputs: ['table', 'ids'], outputs: ['e'] },
          {
            op: 'LayerNormalization',
            inputs: ['e', 'g', 'b'],
            outputs: ['n'],
            attributes: { axis: { i: -1 } },
          },
          { op: 'MatMul', inputs: ['n', 'w'], outputs: ['y'] },
        ],
      };
      await expectMatchesOnnxRuntime(spec, {
        ids: { shape: [3, 4], data: [0, 1, 2, 3, 9, 8, 7, 6, 5, 5, 5, 0], type: 'int64' },
      });
    });
  });

  describe('exported patterns', () => {
    const sequence = (
      nodes: OnnxNodeSpec[],
      initializers: Record<string, OnnxTensorSpec>,
    ): OnnxModelSpec => ({
      opset: 14,
      inputs: [{ name: 'x', shape: ['N', 3, 6] }],
      outputs: [{ name: nodes[nodes.length - 1].outputs[0] }],
      initializers,
      nodes,
    });
    const scalar = (value: number): OnnxTensorSpec => ({ shape: [], data: [value] });
    const tokens = { x: { shape: [2, 3, 6], data: values(36, 33).map((v) => 3 * v) } };

    it('erf GELU, x·0.5 on either side, becomes one gelu node', async () => {
      const constants = { root2: scalar(Math.SQRT2), one: scalar(1), half: scalar(0.5) };
      const head: OnnxNodeSpec[] = [
        { op: 'Div', inputs: ['x', 'root2'], outputs: ['d'] },
        { op: 'Erf', inputs: ['d'], outputs: ['e'] },
        { op: 'Add', inputs: ['e', 'one'], outputs: ['a'] },
      ];
      const timesXFirst = sequence(
        [
          ...head,
          { op: 'Mul', inputs: ['x', 'a'], outputs: ['m'] },
          { op: 'Mul', inputs: ['m', 'half'], outputs: ['y'] },
        ],
        constants,
      );
      const halfFirst = sequence(
        [
          ...head,
          { op: 'Mul', inputs: ['x', 'half'], outputs: ['h'] },
          { op: 'Mul', inputs: ['h', 'a'], outputs: ['y'] },
        ],
        constants,
      );
      for (const spec of [timesXFirst, halfFirst]) {
        const graph = await expectMatchesOnnxRuntime(spec, tokens, { layout: 'keep' });
        expect(graph.nodes.map((n) => n.module.kind)).toEqual(['gelu']);
      }
    });

    it('tanh GELU (torch: x·(x·x); others: Pow(x, 3)) becomes one gelu node', async () => {
      const constants = {
        kappa: scalar(0.044715),
        beta: scalar(Math.sqrt(2 / Math.PI)),
        three: scalar(3),
        one: scalar(1),
        half: scalar(0.5),
      };
      const tail: OnnxNodeSpec[] = [
        { op: 'Mul', inputs: ['kappa', 'cube'], outputs: ['kc'] },
        { op: 'Add', inputs: ['x', 'kc'], outputs: ['s'] },
        { op: 'Mul', inputs: ['beta', 's'], outputs: ['inner'] },
        { op: 'Tanh', inputs: ['inner'], outputs: ['t'] },
        { op: 'Add', inputs: ['one', 't'], outputs: ['a'] },
        { op: 'Mul', inputs: ['x', 'a'], outputs: ['m'] },
        { op: 'Mul', inputs: ['half', 'm'], outputs: ['y'] },
      ];
      const torchCube: OnnxNodeSpec[] = [
        { op: 'Mul', inputs: ['x', 'x'], outputs: ['sq'] },
        { op: 'Mul', inputs: ['x', 'sq'], outputs: ['cube'] },
      ];
      const powCube: OnnxNodeSpec[] = [{ op: 'Pow', inputs: ['x', 'three'], outputs: ['cube'] }];
      for (const cube of [torchCube, powCube]) {
        const graph = await expectMatchesOnnxRuntime(sequence([...cube, ...tail], constants), tokens, {
          layout: 'keep',
        });
        expect(graph.nodes.map((n) => `${n.module.kind}:${n.module.config.approximate}`)).toEqual([
          'gelu:tanh',
        ]);
      }
    });

    it('the ReduceMean/Sub/Pow/Sqrt/Div LayerNorm becomes one layerNorm node; MatMul + Add is one linear', async () => {
      const spec = sequence(
        [
          { op: 'ReduceMean', inputs: ['x'], outputs: ['m'], attributes: { axes: { ints: [-1] } } },
          { op: 'Sub', inputs: ['x', 'm'], outputs: ['c'] },
          { op: 'Pow', inputs: ['c', 'two'], outputs: ['p'] },
          { op: 'ReduceMean', inputs: ['p'], outputs: ['v'], attributes: { axes: { ints: [-1] } } },
          { op: 'Add', inputs: ['v', 'eps'], outputs: ['ve'] },
          { op: 'Sqrt', inputs: ['ve'], outputs: ['s'] },
          { op: 'Div', inputs: ['c', 's'], outputs: ['n'] },
          { op: 'Mul', inputs: ['n', 'gamma'], outputs: ['g'] },
          { op: 'Add', inputs: ['g', 'beta'], outputs: ['ln'], name: '/ln/Add_1' },
          { op: 'MatMul', inputs: ['ln', 'w'], outputs: ['mm'], name: '/fc/MatMul' },
          { op: 'Add', inputs: ['bias', 'mm'], outputs: ['y'], name: '/fc/Add' },
        ],
        {
          two: scalar(2),
          eps: scalar(1e-5),
          gamma: tensorSpec([6], 34),
          beta: tensorSpec([6], 35),
          w: tensorSpec([6, 4], 36),
          bias: tensorSpec([4], 37),
        },
      );
      const graph = await expectMatchesOnnxRuntime(spec, tokens, { layout: 'keep' });
      expect(graph.nodes.map((n) => `${n.name}:${n.module.kind}`)).toEqual(['ln:layerNorm', 'fc:linear']);
      expect(graph.node('fc').module.params.bias.shape).toEqual([4]);
    });
  });

  it("layout 'keep': NCHW in and out, convolutions between transposes", async () => {
    const spec = chain(
      [
        { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attributes: { pads: { ints: [1, 1, 1, 1] } } },
        { op: 'Relu', inputs: ['c'], outputs: ['y'] },
      ],
      [2, 3, 3],
      { w: tensorSpec([3, 2, 3, 3], 32) },
    );
    const graph = await expectMatchesOnnxRuntime(spec, image([2, 2, 3, 3]), { layout: 'keep' });
    expect(graph.inputs[0].shape).toEqual([null, 2, 3, 3]);
  });
});
