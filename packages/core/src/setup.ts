// Core's one module with side effects.
// 1. Loads tfjs-core first (so its engine and registries exist), then registers every gradient and the
//    chained tensor methods, which tfjs-core's own Node entry leaves out (see scripts/bundle-tfjs-extras.mjs).
import '@tensorflow/tfjs-core';
import '../vendor/tfjs-extras.js';

// 2. `Symbol.dispose`, so hook handles work with `using` where the runtime predates it (older browsers,
//    jest's sandbox). The registry symbol is the one TypeScript's down-level helpers fall back to.
const symbols = Symbol as { dispose?: symbol };
if (!symbols.dispose) Object.defineProperty(Symbol, 'dispose', { value: Symbol.for('Symbol.dispose') });
