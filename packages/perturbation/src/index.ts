export { knockoutHook, neuronKnockout, type KnockoutHookOptions, type NeuronKnockoutOptions, type NeuronKnockout } from './knockout.js';
