import '@tensorflow/tfjs-core';
import { registerTfjsExtras } from '../vendor/tfjs-extras.js';
import { registerFastConvGradient } from './fast-conv-gradient.js';
import { registerDepthwiseGradient } from './kinds-spatial-gradients.js';
import { registerWasmSegmentSum } from './segment-sum-wasm.js';

/**
 * Registers every tfjs gradient and the chained tensor methods (`x.mul`), which tfjs-core's own Node
 * entry leaves out (see scripts/bundle-tfjs-extras.mjs), then a faster conv input gradient
 * (fast-conv-gradient.ts), a depthwise conv gradient wasm lacks (kinds-spatial-gradients.ts) and the wasm segment sum a gather's gradient needs (segment-sum-wasm.ts). Idempotent. Importing @attrib/core calls it;
 * the gradient functions call it again so that a bundler dropping the import cannot break them.
 */
export function ensureTfjsExtras(): void {
  registerTfjsExtras();
  registerFastConvGradient();
  registerDepthwiseGradient();
  registerWasmSegmentSum();
}

ensureTfjsExtras();

// `Symbol.dispose`, so hook handles work with `using` where the runtime predates it (older browsers,
// jest's sandbox). The registry symbol is the one TypeScript's down-level helpers fall back to.
const symbols = Symbol as { dispose?: symbol };
if (!symbols.dispose) Object.defineProperty(Symbol, 'dispose', { value: Symbol.for('Symbol.dispose') });
