import { scalarParam, type Emitter } from './emit.js';

/*
 * tfjs-layers activation identifiers (ActivationIdentifier in tfjs-layers 4.22), as model.json spells them
 * (snake_case: `hardSigmoid` is saved as `hard_sigmoid`) → core kinds. `softsign` and `mish` have no core kind: they are written from kinds that
 * exist, as small subgraphs whose last node carries the activation's name.
 */

type ActivationWriter = (emit: Emitter, name: string, input: string) => string;

const single =
  (kind: string, config: Record<string, unknown> = {}): ActivationWriter =>
  (emit, name, input) =>
    emit.add(name, kind, [input], {}, config);

export const activationWriters: Readonly<Record<string, ActivationWriter>> = {
  linear: (emit, name, input) => emit.add(name, 'identity', [input]),
  relu: single('relu'),
  relu6: single('relu6'),
  elu: single('elu'),
  selu: single('selu'),
  sigmoid: single('sigmoid'),
  tanh: single('tanh'),
  softplus: single('softplus'),
  softmax: single('softmax', { axis: -1 }),
  // K.hardSigmoid in tfjs-layers: clip(0.2·x + 0.5, 0, 1), the kind's defaults.
  hard_sigmoid: single('hardSigmoid', { alpha: 0.2, beta: 0.5 }),
  swish: single('swish', { beta: 1 }),
  // tfjs-layers 'gelu' is x·Φ(x) with erf; 'gelu_new' is the tanh approximation.
  gelu: single('gelu', { approximate: 'none' }),
  gelu_new: single('gelu', { approximate: 'tanh' }),
  // x / (1 + |x|), |x| = relu(x) + relu(−x).
  softsign: (emit, name, input) => {
    const negated = emit.add(`${name}/negated`, 'scaleShift', [input], { scale: scalarParam(-1) });
    const negative = emit.add(`${name}/negative_part`, 'relu', [negated]);
    const positive = emit.add(`${name}/positive_part`, 'relu', [input]);
    const abs = emit.add(`${name}/abs`, 'add', [positive, negative]);
    const denominator = emit.add(`${name}/denominator`, 'scaleShift', [abs], { shift: scalarParam(1) });
    return emit.add(name, 'div', [input, denominator]);
  },
  // x · tanh(softplus(x)).
  mish: (emit, name, input) => {
    const softplus = emit.add(`${name}/softplus`, 'softplus', [input]);
    const tanh = emit.add(`${name}/tanh`, 'tanh', [softplus]);
    return emit.add(name, 'mul', [input, tanh]);
  },
};

export function isKnownActivation(identifier: unknown): boolean {
  return typeof identifier === 'string' && Object.hasOwn(activationWriters, identifier);
}
