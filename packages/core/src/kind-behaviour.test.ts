import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends } from '@attrib/test-utils';
import {
  InvalidArgumentError,
  UnsupportedKindError,
  builtinKinds,
  createModule,
  getKind,
  kindBehaviour,
  registerKind,
  type KindDefinition,
} from './index.js';

const plugin = (kind: string, forward: KindDefinition['forward']): KindDefinition => ({
  kind,
  category: 'activation',
  arity: 1,
  paramNames: [],
  forward,
});

describeWithBackends('registerKind', ['cpu'], () => {
  it('refuses to replace a built-in kind without { replace: true }, naming the kind', () => {
    const relu = getKind('relu');
    let caught: unknown;
    try {
      registerKind(plugin('relu', ([x]) => tf.neg(x)));
    } catch (error) {
      caught = error;
    }
    expect(InvalidArgumentError.isInstance(caught)).toBe(true);
    expect((caught as Error).message).toBe(
      "Argument 'definition.kind' passed to 'registerKind' must be a kind not registered yet " +
        "(pass { replace: true } to replace one), but got 'relu'.",
    );
    expect(getKind('relu')).toBe(relu);
  });

  it("refuses to replace a plugin's kind, and replaces it when asked explicitly", () => {
    const first = plugin('h3Twice', ([x]) => tf.mul(x, 2));
    const second = plugin('h3Twice', ([x]) => tf.mul(x, 3));
    registerKind(first);
    expect(() => registerKind(second)).toThrow(/'h3Twice'/);
    expect(() => registerKind(second, { replace: false })).toThrow(/'h3Twice'/);
    expect(getKind('h3Twice')).toBe(first);
    registerKind(second, { replace: true });
    expect(getKind('h3Twice')).toBe(second);
    tf.tidy(() => {
      expect(
        Array.from(
          createModule('h3Twice')
            .forward([tf.tensor1d([1, -2])])
            .dataSync(),
        ),
      ).toEqual([3, -6]);
    });
  });

  it('refuses a definition without a name or a forward', () => {
    expect(() => registerKind({ ...plugin('', ([x]) => x) })).toThrow(InvalidArgumentError);
    expect(() => registerKind({ ...plugin('h3NoForward', ([x]) => x), forward: undefined as never })).toThrow(
      /'definition.forward' passed to 'registerKind'/,
    );
    expect(getKind('h3NoForward')).toBeUndefined();
  });
});

describeWithBackends('registerKind checks a declared behaviour, field by field', ['cpu'], () => {
  const cases: Array<[string, unknown, string]> = [
    [
      'a misspelt map',
      { map: 'elementWise' },
      "Argument 'definition.behaviour.map' passed to 'registerKind' must be one of 'affine', 'elementwise', 'max', 'bilinear', 'lookup', 'other', but got 'elementWise'.",
    ],
    [
      'an unknown LRP family',
      { map: 'affine', lrp: 'conv' },
      "Argument 'definition.behaviour.lrp' passed to 'registerKind' must be one of 'dense', 'convolution', 'activation', 'batchnorm', 'average', 'maxpool', 'add', 'gradient' or absent, but got 'conv'.",
    ],
    [
      'a rule for a method that asks no kind',
      { map: 'other', rules: { saliency: { name: 'r', backward: () => [] } } },
      "Argument 'definition.behaviour.rules.saliency' passed to 'registerKind' must be a rule ({ name, backward }) for one of 'deepLift', 'guidedBackprop', 'deconvolution', 'lrp', but got object.",
    ],
    [
      'a rule that is not one',
      { map: 'other', rules: { deepLift: () => [] } },
      "Argument 'definition.behaviour.rules.deepLift' passed to 'registerKind' must be a rule ({ name, backward }) for one of 'deepLift', 'guidedBackprop', 'deconvolution', 'lrp', but got a function.",
    ],
  ];
  for (const [title, behaviour, message] of cases) {
    it(`refuses ${title}, and registers nothing`, () => {
      const definition = { ...plugin('h3Misdeclared', ([x]) => x), behaviour } as KindDefinition;
      expect(() => registerKind(definition)).toThrow(message);
      expect(getKind('h3Misdeclared')).toBeUndefined();
    });
  }
});

describe('kind behaviour', () => {
  it("every built-in kind declares one, and it passes the checks a plugin's does", () => {
    expect(builtinKinds.filter((kind) => !getKind(kind)!.behaviour)).toEqual([]);
    // Registering the very same definition again changes nothing, but checks its behaviour field by field.
    for (const kind of builtinKinds)
      expect(() => registerKind(getKind(kind)!, { replace: true })).not.toThrow();
  });

  it('only relu declares itself ReLU-like among the built-ins', () => {
    expect(builtinKinds.filter((kind) => getKind(kind)!.behaviour?.relu)).toEqual(['relu']);
  });

  it("kindBehaviour returns a kind's declaration, or a typed error naming kind, node and method", () => {
    expect(kindBehaviour(createModule('maxpool2d', {}, { size: [2, 2] }), 'deepLift', 'pool').map).toBe(
      'max',
    );
    registerKind(plugin('h3Bare', ([x]) => tf.relu(x)));
    let caught: unknown;
    try {
      kindBehaviour(createModule('h3Bare'), 'guidedBackprop', 'act');
    } catch (error) {
      caught = error;
    }
    expect(UnsupportedKindError.isInstance(caught)).toBe(true);
    expect(caught).toMatchObject({
      code: 'unsupported-kind',
      kind: 'h3Bare',
      nodeName: 'act',
      method: 'guidedBackprop',
    });
    expect((caught as Error).message).toBe(
      "guidedBackprop: node 'act' has kind 'h3Bare', which declares no behaviour for rule-based methods " +
        '(KindDefinition.behaviour).',
    );
  });
});
