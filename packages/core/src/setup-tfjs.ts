// Loads tfjs-core first (so its engine and registries exist), then registers every gradient and the
// chained tensor methods, which tfjs-core's own Node entry leaves out. See scripts/bundle-tfjs-extras.mjs.
import '@tensorflow/tfjs-core';
import '../vendor/tfjs-extras.js';
