import type { Canonizer } from './canonizer.js';
import { mergeBatchNorm } from './merge-batchnorm.js';
import { residualSum } from './residual-sum.js';

/** For ResNet-style graphs: BatchNorms merged into their convolutions, residual adds made explicit sums. */
export function resnetCanonizers(): Canonizer[] {
  return [mergeBatchNorm(), residualSum()];
}
