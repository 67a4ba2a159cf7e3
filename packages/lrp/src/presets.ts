import { invalidArgument, type BackwardRule } from '@attrib/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  family,
  firstLayer,
  layerMap,
  mixed,
  reluLike,
  type Composite,
  type NodeMatcher,
} from './composite.js';
import type { Stabilizer } from './stabilizer.js';
import { alphaBeta } from './rules/alpha-beta.js';
import { epsilon } from './rules/epsilon.js';
import { flat } from './rules/flat.js';
import { gamma } from './rules/gamma.js';
import { norm } from './rules/norm.js';
import { pass } from './rules/pass.js';
import { deconvnetRelu, guidedBackpropRelu } from './rules/relu-rules.js';
import { zBox } from './rules/z-box.js';
import { zPlus } from './rules/z-plus.js';
import type { ZeroParams } from './rules/common.js';

export interface PresetOptions {
  /** ε of the epsilon rule on dense layers (default 1e-6). */
  readonly epsilon?: Stabilizer;
  /** Stabilizer of every other rule (default 1e-6). */
  readonly stabilizer?: Stabilizer;
  readonly zeroParams?: ZeroParams;
}

// Zennit's node families, as each kind declares them (KindBehaviour.lrp). Max-pooling, adds and the
// 'gradient' family (flatten, slice, concat, ...) keep their plain gradient.
const conv = family('convolution');
const dense = family('dense');
const convOrDense = family('convolution', 'dense');

/** Zennit's base map: activations and BatchNorm pass, sums and average pools share by contribution. */
function base(stabilizer: Stabilizer | undefined): Array<readonly [NodeMatcher, BackwardRule]> {
  const normRule = norm({ stabilizer });
  return [
    [family('activation'), pass()],
    [family('average'), normRule],
    [family('batchnorm'), pass()],
  ];
}

function withDense(options: PresetOptions, convRule: BackwardRule): Composite {
  const dense_ = epsilon({ epsilon: options.epsilon, zeroParams: options.zeroParams });
  return layerMap([...base(options.stabilizer), [conv, convRule], [dense, dense_]]);
}

/** z⁺ on convolutions, ε on dense layers. */
export function epsilonPlus(options: PresetOptions = {}): Composite {
  return withDense(options, zPlus({ stabilizer: options.stabilizer, zeroParams: options.zeroParams }));
}

/** α2β1 on convolutions, ε on dense layers. */
export function epsilonAlpha2Beta1(options: PresetOptions = {}): Composite {
  return withDense(
    options,
    alphaBeta({ alpha: 2, beta: 1, stabilizer: options.stabilizer, zeroParams: options.zeroParams }),
  );
}

function withFlatFirst(options: PresetOptions, rest: Composite): Composite {
  return mixed(
    firstLayer(convOrDense, flat({ stabilizer: options.stabilizer, zeroParams: options.zeroParams })),
    rest,
  );
}

/** epsilonPlus, with Flat on the first dense or conv layer. */
export function epsilonPlusFlat(options: PresetOptions = {}): Composite {
  return withFlatFirst(options, epsilonPlus(options));
}

/** epsilonAlpha2Beta1, with Flat on the first dense or conv layer. */
export function epsilonAlpha2Beta1Flat(options: PresetOptions = {}): Composite {
  return withFlatFirst(options, epsilonAlpha2Beta1(options));
}

export interface GammaBoxOptions extends PresetOptions {
  /** Input bounds for zᴮ on the first convolution (numbers or tensors broadcastable to the input). */
  readonly low: number | tf.Tensor;
  readonly high: number | tf.Tensor;
  /** γ on the other convolutions (default 0.25). */
  readonly gamma?: number;
}

/** zᴮ on the first convolution, γ on the other convolutions, ε on dense layers. */
export function epsilonGammaBox(options: GammaBoxOptions): Composite {
  if (!options || typeof options !== 'object') {
    throw invalidArgument('epsilonGammaBox', 'options', '{ low, high } (the input bounds)', options);
  }
  const { low, high, stabilizer, zeroParams } = options;
  return mixed(
    firstLayer(conv, zBox({ low, high, stabilizer, zeroParams })),
    withDense(options, gamma({ gamma: options.gamma, stabilizer, zeroParams })),
  );
}

/** GuidedBackprop as a composite: ReLUs pass only positive gradient where the input was positive. */
export function guidedBackprop(): Composite {
  return layerMap([[reluLike, guidedBackpropRelu()]]);
}

/** Deconvnet as a composite: ReLUs pass only positive gradient, ignoring the forward mask. */
export function deconvnet(): Composite {
  return layerMap([[reluLike, deconvnetRelu()]]);
}

/** Excitation backprop: z⁺ on every dense and conv layer, sums and average pools by contribution. */
export function excitationBackprop(options: { readonly stabilizer?: Stabilizer } = {}): Composite {
  const normRule = norm(options);
  return layerMap([
    [family('average'), normRule],
    [convOrDense, zPlus(options)],
  ]);
}

/**
 * Captum's LRP defaults: ε = 1e-9 on dense, conv, pooling (max and average, global included), BatchNorm
 * and add; activations pass. Pair it with `seed: 'logit'` to reproduce Captum's numbers.
 */
export function captumDefault(): Composite {
  return layerMap([
    [family('dense', 'convolution', 'maxpool', 'average', 'batchnorm', 'add'), epsilon({ epsilon: 1e-9 })],
    [family('activation'), pass()],
  ]);
}
