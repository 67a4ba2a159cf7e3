import { InvalidArgumentError, checkOptions } from './index.js';

describe('checkOptions', () => {
  const known = ['target', 'nSteps', 'baselines', 'attributeToLayerInput', 'neuron'];

  it('names an unknown key and the function, with the closest known key', () => {
    expect(() => checkOptions('integratedGradients', { nStep: 5 }, known)).toThrow(
      /'integratedGradients'.*unknown key 'nStep'.*did you mean 'nSteps'\?/,
    );
    try {
      checkOptions('integratedGradients', { composite: () => undefined }, known);
      throw new Error('no error');
    } catch (error) {
      expect(InvalidArgumentError.isInstance(error)).toBe(true);
      expect((error as InvalidArgumentError).code).toBe('unknown-option');
      // Far from every known key: no suggestion.
      expect((error as Error).message).not.toMatch(/did you mean/);
    }
  });

  it('refuses a string where a boolean belongs, instead of reading it as truthy', () => {
    expect(() =>
      checkOptions('layerGradient', { attributeToLayerInput: 'false' }, known, {
        booleans: ['attributeToLayerInput'],
      }),
    ).toThrow(/'attributeToLayerInput' passed to 'layerGradient' must be true or false, but got 'false'/);
  });

  it('renames a deprecated alias and refuses it next to the current name', () => {
    const aliases = { neuronSelector: 'neuron' };
    expect(checkOptions('f', { neuronSelector: 3 }, known, { aliases })).toEqual({ neuron: 3 });
    expect(() => checkOptions('f', { neuronSelector: 3, neuron: 2 }, known, { aliases })).toThrow(
      /deprecated/,
    );
  });

  it('takes no options as {} and refuses a non-object', () => {
    expect(checkOptions('f', undefined, known)).toEqual({});
    expect(() => checkOptions('f', 3 as never, known)).toThrow(
      /'options' passed to 'f' must be an options object/,
    );
  });
});
