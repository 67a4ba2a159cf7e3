import * as tf from '@tensorflow/tfjs-core';
import { expectShape, normalizeAxis, pickJson, requireParam, type KindParams } from './kind-config.js';
import type { Config, KindBehaviour, KindDefinition } from './module.js';

/*
 * Shape, arithmetic and text kinds. Conventions (README "Built-in kinds"): `axis`, `axes` and `perm`
 * index the whole tensor, batch axis 0 included, negative counting from the end; none may move, drop
 * or reduce the batch axis, since every batched method assumes rows never mix. Target shapes
 * (`reshape.shape`) are per sample. Parameters that broadcast against an input (prelu's slopes,
 * scaleShift's scale and shift) have a lower rank than the input, so they broadcast over the batch.
 */

function integerList(config: Config, key: string, min?: number): number[] {
  const value = config[key];
  if (!Array.isArray(value) || !value.every((v) => Number.isInteger(v) && (min === undefined || v >= min))) {
    const range = min === undefined ? '' : ` ≥ ${min}`;
    throw new Error(`'${key}' must be a list of integers${range}, got ${JSON.stringify(value)}`);
  }
  return value as number[];
}

function optionalIntegerList(config: Config, key: string): number[] | undefined {
  return config[key] === undefined ? undefined : integerList(config, key);
}

function flag(config: Config, key: string): boolean {
  const value = config[key] ?? false;
  if (typeof value !== 'boolean') throw new Error(`'${key}' must be a boolean, got ${JSON.stringify(value)}`);
  return value;
}

/** Distinct axes of a rank-`rank` tensor, none the batch axis, in increasing order. */
function normalizeAxes(axes: readonly number[], rank: number, key: string): number[] {
  const result = axes.map((a) => normalizeAxis(a, rank, key));
  if (new Set(result).size !== result.length) throw new Error(`'${key}' repeats an axis: [${axes}]`);
  return result.sort((a, b) => a - b);
}

function checkBroadcastsPerSample(param: tf.Tensor | null | undefined, name: string, x: tf.Tensor): void {
  if (param && param.rank >= x.rank) {
    throw new Error(
      `'${name}' of shape [${param.shape}] must have a lower rank than the input [${x.shape}] (it broadcasts over the batch)`,
    );
  }
}

function checkFloat(x: tf.Tensor, what: string): void {
  if (x.dtype !== 'float32') throw new Error(`${what} must be float32, got ${x.dtype}`);
}

function validateReshape(_p: KindParams, c: Config): void {
  const shape = integerList(c, 'shape', -1);
  if (shape.includes(0)) throw new Error(`'shape' must not contain 0 (a per-sample shape), got [${shape}]`);
  if (shape.filter((d) => d === -1).length > 1) throw new Error(`'shape' may hold one -1, got [${shape}]`);
}

function validatePerm(_p: KindParams, c: Config): number[] {
  const perm = integerList(c, 'perm');
  const sorted = [...perm].sort((a, b) => a - b);
  if (!sorted.every((v, i) => v === i))
    throw new Error(`'perm' must be a permutation of 0…${perm.length - 1}, got [${perm}]`);
  if (perm[0] !== 0) throw new Error(`'perm' must keep the batch axis first (perm[0] = 0), got [${perm}]`);
  return perm;
}

function validateAxes(required: boolean) {
  return (_p: KindParams, c: Config): void => {
    const axes = required ? integerList(c, 'axes') : optionalIntegerList(c, 'axes');
    if (axes && axes.length === 0) throw new Error(`'axes' must list at least one axis`);
    if (c.keepDims !== undefined) flag(c, 'keepDims');
  };
}

/** Every axis but the batch axis, or the configured ones. */
function reductionAxes(c: Config, x: tf.Tensor): number[] {
  const axes = optionalIntegerList(c, 'axes');
  return axes ? normalizeAxes(axes, x.rank, 'axes') : [...Array(x.rank).keys()].slice(1);
}

/**
 * Broadcasting keeps rows apart when every input either has the result's rank (its axis 0 is the batch)
 * or a leading 1 (a constant). A lower-rank input with N rows would land its batch axis elsewhere and mix
 * samples: [N, D] against [N, L, D] pairs row j of one with row i of the other.
 */
function checkRowsStay(inputs: readonly tf.Tensor[], resultShape: readonly number[]): void {
  for (const [i, t] of inputs.entries()) {
    if (t.rank < resultShape.length && t.shape[0] !== 1) {
      throw new Error(
        `input ${i} of shape [${t.shape}] has a lower rank than the result [${resultShape}] and ${t.shape[0]} rows: broadcasting would mix samples (give it the full rank, or a leading 1 if it is a constant)`,
      );
    }
  }
}

function binary(
  kind: string,
  category: 'merge' | 'product',
  behaviour: KindBehaviour,
  op: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor,
): KindDefinition {
  return {
    kind,
    category,
    behaviour,
    arity: 2,
    paramNames: [],
    // Numpy broadcasting between the two inputs.
    forward([a, b]) {
      checkFloat(a, 'the first input');
      checkFloat(b, 'the second input');
      const y = op(a, b);
      checkRowsStay([a, b], y.shape);
      return y;
    },
  };
}

/**
 * `slice` (a kind of kinds.ts): `begin` and `size` over every axis (batch included, tf.slice's
 * semantics, size −1 = to the end; the batch axis whole), or, with `axes`, over the listed axes only
 * (never the batch axis; negative axes and a negative `begin`, counted from the end, allowed).
 */
export function validateSlice(_p: KindParams, c: Config): void {
  const begin = integerList(c, 'begin');
  const size = integerList(c, 'size', -1);
  const axes = optionalIntegerList(c, 'axes');
  if (begin.length !== size.length || (axes && axes.length !== begin.length)) {
    throw new Error(`'begin', 'size' (and 'axes') must be integer lists of equal length`);
  }
  if (!axes && (begin[0] !== 0 || size[0] !== -1)) {
    throw new Error(
      `the batch axis must be kept whole: begin[0] = 0 and size[0] = -1, got ${begin[0]} and ${size[0]}`,
    );
  }
}

export function sliceForward(x: tf.Tensor, c: Config): tf.Tensor {
  const begin = c.begin as number[];
  const size = c.size as number[];
  const axes = c.axes as number[] | undefined;
  if (!axes) return tf.slice(x, begin, size);
  const fullBegin = new Array<number>(x.rank).fill(0);
  const fullSize = new Array<number>(x.rank).fill(-1);
  axes.forEach((axis, i) => {
    const a = normalizeAxis(axis, x.rank, 'axes');
    fullBegin[a] = begin[i] < 0 ? begin[i] + x.shape[a] : begin[i];
    fullSize[a] = size[i];
  });
  return tf.slice(x, fullBegin, fullSize);
}

// How rule-based methods treat these kinds (module.ts, KindBehaviour).
/** Values moved or copied: DeepLift's linear rule is the gradient, LRP keeps relevance by the gradient. */
const moves: KindBehaviour = { map: 'affine', lrp: 'gradient' };
/** Sums and means: linear, LRP's norm rule as for average pools. */
const average: KindBehaviour = { map: 'affine', lrp: 'average' };
/** Linear in each of two inputs: DeepLift's midpoint product rule; no LRP family. */
const bilinear: KindBehaviour = { map: 'bilinear' };
/**
 * An elementwise affine map by constants, a batchnorm at inference in all but name: LRP's batchnorm
 * family (pass in Zennit's presets). Not `channelAffine`: its scale may vary over more than the channels.
 */
const elementwiseAffine: KindBehaviour = { map: 'affine', lrp: 'batchnorm' };
/** Ids to vectors: nothing flows back to the ids; relevance stops at the vectors. */
const lookup: KindBehaviour = { map: 'lookup', lrp: 'gradient' };
/** Divides, or normalises by its input's own statistics: no DeepLift or LRP rule unless given one. */
const other: KindBehaviour = { map: 'other' };

/** The shape, arithmetic and text kinds of kinds-tensor.ts (README: "Built-in kinds"). */
export const tensorKindDefinitions: readonly KindDefinition[] = [
  {
    kind: 'reshape',
    category: 'shape',
    behaviour: moves,
    arity: 1,
    paramNames: [],
    fromJson: pickJson('shape'),
    validate: validateReshape,
    forward: ([x], _p, c) => tf.reshape(x, [x.shape[0], ...(c.shape as number[])]),
  },
  {
    kind: 'transpose',
    category: 'shape',
    behaviour: moves,
    arity: 1,
    paramNames: [],
    fromJson: pickJson('perm'),
    validate: validatePerm,
    forward([x], _p, c) {
      const perm = c.perm as number[];
      if (perm.length !== x.rank)
        throw new Error(`'perm' [${perm}] has ${perm.length} axes, the input ${x.rank}`);
      return tf.transpose(x, perm);
    },
  },
  {
    kind: 'squeeze',
    category: 'shape',
    behaviour: moves,
    arity: 1,
    paramNames: [],
    fromJson: pickJson('axes'),
    validate: validateAxes(true),
    forward([x], _p, c) {
      const axes = normalizeAxes(c.axes as number[], x.rank, 'axes');
      const wide = axes.filter((a) => x.shape[a] !== 1);
      if (wide.length > 0) throw new Error(`'axes' [${c.axes}] names axes of size ≠ 1 in [${x.shape}]`);
      return tf.squeeze(x, axes);
    },
  },
  {
    kind: 'unsqueeze',
    category: 'shape',
    behaviour: moves,
    arity: 1,
    paramNames: [],
    fromJson: pickJson('axes'),
    validate: validateAxes(true),
    // `axes` are positions in the output (ONNX's Unsqueeze): [N, L] with axes [1, -1] → [N, 1, L, 1].
    forward([x], _p, c) {
      const rank = x.rank + (c.axes as number[]).length;
      const inserted = new Set(normalizeAxes(c.axes as number[], rank, 'axes'));
      const source = [...x.shape];
      const shape = [...Array(rank).keys()].map((a) => (inserted.has(a) ? 1 : source.shift()!));
      return tf.reshape(x, shape);
    },
  },
  {
    kind: 'reduceMean',
    category: 'pool',
    behaviour: average,
    arity: 1,
    paramNames: [],
    fromJson: pickJson('axes', 'keepDims'),
    validate: validateAxes(false),
    forward: ([x], _p, c) => tf.mean(x, reductionAxes(c, x), flag(c, 'keepDims')),
  },
  {
    kind: 'reduceSum',
    category: 'pool',
    behaviour: average,
    arity: 1,
    paramNames: [],
    fromJson: pickJson('axes', 'keepDims'),
    validate: validateAxes(false),
    forward: ([x], _p, c) => tf.sum(x, reductionAxes(c, x), flag(c, 'keepDims')),
  },
  binary('sub', 'merge', { map: 'affine' }, tf.sub),
  binary('mul', 'product', bilinear, tf.mul),
  binary('div', 'product', other, tf.div),
  {
    kind: 'matmul',
    category: 'product',
    behaviour: bilinear,
    arity: 2,
    paramNames: [],
    fromJson: pickJson('transposeA', 'transposeB'),
    validate(_p, c) {
      flag(c, 'transposeA');
      flag(c, 'transposeB');
    },
    // The last two axes are the matrices; the leading ones (the batch, then any heads) broadcast. A rank-2
    // input would make the batch axis a matrix axis and mix samples: that product is a `linear` node.
    forward([a, b], _p, c) {
      if (a.rank < 3 || b.rank < 3) {
        throw new Error(
          `both inputs need rank ≥ 3 ([batch, …, rows, columns]), got [${a.shape}] and [${b.shape}]; a per-sample vector times a matrix is a 'linear' node`,
        );
      }
      // The leading axes are broadcast explicitly: tfjs's BatchMatMul gradient does not sum over
      // broadcast axes (the tape then rejects a gradient of the broadcast shape); broadcastTo's does.
      const lead = Math.max(a.rank, b.rank) - 2;
      const leading = (t: tf.Tensor) => [
        ...new Array<number>(lead - (t.rank - 2)).fill(1),
        ...t.shape.slice(0, -2),
      ];
      const [la, lb] = [leading(a), leading(b)];
      if (la.some((d, i) => d !== lb[i] && d !== 1 && lb[i] !== 1)) {
        throw new Error(`the leading axes of [${a.shape}] and [${b.shape}] do not broadcast`);
      }
      const batch = la.map((d, i) => Math.max(d, lb[i]!));
      checkRowsStay([a, b], [...batch, 1, 1]);
      const full = (t: tf.Tensor, l: number[]) =>
        t.rank === lead + 2 && l.every((d, i) => d === batch[i])
          ? t
          : tf.broadcastTo(t, [...batch, ...t.shape.slice(-2)]);
      return tf.matMul(full(a, la), full(b, lb), flag(c, 'transposeA'), flag(c, 'transposeB'));
    },
  },
  {
    kind: 'constant',
    category: 'constant',
    behaviour: moves,
    arity: 0,
    paramNames: ['value'],
    validate: (p) => void requireParam(p, 'value'),
    // One sample's tensor with a batch axis of 1 in front, so it broadcasts over any batch.
    forward: (_inputs, p) => tf.reshape(p.value!, [1, ...p.value!.shape]),
  },
  {
    kind: 'scaleShift',
    category: 'linear',
    behaviour: elementwiseAffine,
    arity: 1,
    paramNames: ['scale', 'shift'],
    validate(p) {
      if (!p.scale && !p.shift) throw new Error(`needs a 'scale' or a 'shift' parameter (or both)`);
    },
    forward([x], p) {
      checkBroadcastsPerSample(p.scale, 'scale', x);
      checkBroadcastsPerSample(p.shift, 'shift', x);
      const scaled = p.scale ? tf.mul(x, p.scale) : x;
      return p.shift ? tf.add(scaled, p.shift) : scaled;
    },
  },
  {
    kind: 'embedding',
    category: 'embedding',
    behaviour: lookup,
    arity: 1,
    paramNames: ['weight'],
    validate: (p) => expectShape(requireParam(p, 'weight'), 'weight', 2, {}),
    // Row `id` of the [vocabulary, dim] weight for each id: [N, L] ids → [N, L, dim]. No gradient reaches
    // the ids (they are integers); attributions are taken at this node's output.
    forward([ids], p) {
      if (ids.dtype !== 'int32') throw new Error(`the ids must be int32, got ${ids.dtype}`);
      // tfjs's gather checks the ids against the vocabulary itself (on cpu and wasm alike).
      return tf.gather(p.weight!, ids);
    },
  },
  {
    kind: 'layerNorm',
    category: 'norm',
    behaviour: other,
    arity: 1,
    paramNames: ['gamma', 'beta'],
    fromJson: pickJson('axes', 'epsilon'),
    validate(p, c) {
      validateAxes(false)(p, c);
      const epsilon = c.epsilon ?? 1e-5;
      if (typeof epsilon !== 'number' || !(epsilon >= 0))
        throw new Error(`'epsilon' must be a number ≥ 0, got ${JSON.stringify(c.epsilon)}`);
      if (p.gamma && p.beta && p.gamma.shape.join() !== p.beta.shape.join()) {
        throw new Error(`'gamma' [${p.gamma.shape}] and 'beta' [${p.beta.shape}] must have one shape`);
      }
    },
    // (x − mean)/sqrt(var + ε)·γ + β over `axes` (default: the last), biased variance, as torch and Keras.
    // γ and β hold the normalised axes' sizes in axis order, and broadcast over the others.
    forward([x], p, c) {
      const axes = normalizeAxes((c.axes as number[] | undefined) ?? [-1], x.rank, 'axes');
      const epsilon = (c.epsilon as number | undefined) ?? 1e-5;
      const centered = tf.sub(x, tf.mean(x, axes, true));
      const variance = tf.mean(tf.square(centered), axes, true);
      let y = tf.div(centered, tf.sqrt(tf.add(variance, epsilon)));
      const affineShape = x.shape.map((d, a) => (axes.includes(a) ? d : 1));
      const normalised = axes.map((a) => x.shape[a]);
      for (const name of ['gamma', 'beta'] as const) {
        const param = p[name];
        if (!param) continue;
        if (param.shape.join() !== normalised.join()) {
          throw new Error(
            `'${name}' has shape [${param.shape}], expected [${normalised}] (the sizes of axes [${axes}])`,
          );
        }
        const broadcast = tf.reshape(param, affineShape);
        y = name === 'gamma' ? tf.mul(y, broadcast) : tf.add(y, broadcast);
      }
      return y;
    },
  },
  {
    kind: 'dropout',
    category: 'shape',
    behaviour: moves,
    arity: 1,
    paramNames: [],
    fromJson: pickJson('rate'),
    validate(_p, c) {
      const rate = c.rate ?? 0;
      if (typeof rate !== 'number' || !(rate >= 0 && rate < 1))
        throw new Error(`'rate' must be in [0, 1), got ${JSON.stringify(c.rate)}`);
    },
    // Attribution runs inference, where dropout passes its input unchanged; `rate` is kept for the record.
    forward: ([x]) => tf.clone(x),
  },
];
