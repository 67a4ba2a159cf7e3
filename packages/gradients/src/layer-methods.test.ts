import * as tf from '@tensorflow/tfjs-core';
import {
  describeWithBackends,
  expectNoLeaks,
  expectTensorsClose,
  finiteDifferenceGradient,
  literalPathSchedule,
  randomTensor,
  tinyModels,
} from '@attrib/test-utils';
import { InvalidArgumentError, UnknownNodeError, loadModel, selectTarget, type Graph } from '@attrib/core';
import { layerActivation } from './layer-activation.js';
import { layerGradient, layerGradientXActivation } from './layer-gradient.js';
import { internalInfluence } from './internal-influence.js';
import { layerConductance } from './layer-conductance.js';
import { layerIntegratedGradients } from './layer-integrated-gradients.js';
import { saliency } from './saliency.js';

/**
 * The reference for the path methods: ∂f[t]/∂(a node's output) at `point`, by tf.grad through a hook
 * that feeds the tensor back in (plain tfjs, none of this package's code).
 */
function gradientAtNode(model: Graph, point: tf.Tensor, node: string, targets: number[]): tf.Tensor {
  const activation = model.forward(point).values.get(node)!;
  return tf.grad((a: tf.Tensor) => {
    const out = model.forward(point, { hooks: [{ node, after: () => a }] }).output;
    return tf.sum(tf.mul(out, tf.oneHot(targets, out.shape[1]!)));
  })(activation);
}

describeWithBackends('layer methods', ['cpu'], () => {
  const cnn = loadModel(tinyModels.cnn());
  const x = randomTensor([3, 4, 4, 2], 41);
  const b = randomTensor([3, 4, 4, 2], 42, -0.3, 0.3);
  const targets = [1, 2, 0];
  const mlp = loadModel(tinyModels.mlp());
  const xm = randomTensor([4, 3], 43, -2, 2);

  it('layerActivation returns the node output or the tensor entering it; a list gives a record from one pass', async () => {
    const { values } = cnn.forward(x);
    expectTensorsClose((await layerActivation(cnn, x, { layer: 'bn' })).attributions, values.get('bn')!, {
      atol: 0,
    });
    expectTensorsClose(
      (await layerActivation(cnn, x, { layer: 'relu', attributeToLayerInput: true })).attributions,
      values.get('bn')!,
      { atol: 0 },
    );
    const both = (await layerActivation(cnn, x, { layer: ['conv', 'pool'] })).attributions;
    expect(Object.keys(both)).toEqual(['conv', 'pool']);
    expectTensorsClose(both.pool, values.get('pool')!, { atol: 0 });
  });

  it('layerGradient is ∂f[t]/∂tensor (finite differences through a replacing hook); ×activation for GradientXActivation', async () => {
    const { attributions } = await layerGradient(mlp, xm, { layer: 'fc1', target: 1 });
    const activation = mlp.forward(xm).values.get('fc1')!;
    const f = (a: tf.Tensor) =>
      tf
        .sum(selectTarget(mlp.run(xm, { hooks: [{ node: 'fc1', after: () => a }] }), 1, 'test'))
        .dataSync()[0];
    expectTensorsClose(attributions, finiteDifferenceGradient(f, activation), { atol: 2e-3, rtol: 2e-2 });
    const gxa = await layerGradientXActivation(mlp, xm, { layer: 'fc1', target: 1 });
    expectTensorsClose(gxa.attributions, tf.mul(attributions, activation), { atol: 1e-6 });
  });

  it("a layer's input gradient is that of all its readers: at a graph input read twice it is the saliency", async () => {
    const residual = loadModel(tinyModels.residual());
    const xr = randomTensor([3, 4], 44);
    const { attributions } = await layerGradient(residual, xr, {
      layer: 'fc1',
      attributeToLayerInput: true,
      target: 1,
    });
    const plain = await saliency(residual, xr, { target: 1, abs: false });
    expectTensorsClose(attributions, plain.attributions, { atol: 1e-6 });
    const both = await layerGradient(residual, xr, {
      layer: ['add', 'fc1'],
      attributeToLayerInput: true,
      target: 1,
    });
    expectTensorsClose(both.attributions.fc1, plain.attributions, { atol: 1e-6 });
  });

  it('a layer off every path to the output has a zero gradient (alone or with others)', async () => {
    const spec = tinyModels.mlp();
    const model = loadModel({ ...spec, nodes: [...spec.nodes, { ...spec.nodes[0], name: 'unused' }] });
    const alone = await layerGradient(model, xm, { layer: 'unused', target: 0 });
    expectTensorsClose(alone.attributions, tf.zeros([4, 4]), { atol: 0 });
    const both = await layerConductance(model, xm, { layer: ['unused', 'fc1'], target: 0, nSteps: 4 });
    expectTensorsClose(both.attributions.unused, tf.zeros([4, 4]), { atol: 0 });
    const reference = await layerConductance(mlp, xm, { layer: 'fc1', target: 0, nSteps: 4 });
    expectTensorsClose(both.attributions.fc1, reference.attributions, { atol: 1e-6 });
  });

  it('internalInfluence is Σ s_k · layerGradient at the input-space path points', async () => {
    const { alphas, stepSizes } = literalPathSchedule('gausslegendre', 6);
    let expected = tf.zeros([3, 2, 2, 3]);
    for (let k = 0; k < alphas.length; k++) {
      const point = tf.add(b, tf.mul(alphas[k], tf.sub(x, b)));
      expected = tf.add(expected, tf.mul(stepSizes[k], gradientAtNode(cnn, point, 'pool', targets)));
    }
    const { attributions } = await internalInfluence(cnn, x, {
      layer: 'pool',
      target: targets,
      baselines: b,
      nSteps: 6,
    });
    expectTensorsClose(attributions, expected, { atol: 1e-6 });
  });

  it('layerConductance is Σ grad(α_k)·(act(α_{k+1}) − act(α_k)) over n+1 points, for any internalBatchSize', async () => {
    const { alphas } = literalPathSchedule('riemannTrapezoid', 6);
    const at = (alpha: number) => {
      const point = tf.add(b, tf.mul(alpha, tf.sub(x, b)));
      return {
        gradient: gradientAtNode(cnn, point, 'relu', targets),
        activation: cnn.forward(point).values.get('relu')!,
      };
    };
    let expected = tf.zeros([3, 4, 4, 3]);
    for (let k = 0; k + 1 < alphas.length; k++) {
      const [here, next] = [at(alphas[k]), at(alphas[k + 1])];
      expected = tf.add(expected, tf.mul(here.gradient, tf.sub(next.activation, here.activation)));
    }
    for (const internalBatchSize of [undefined, 3, 7, 12]) {
      const { attributions } = await layerConductance(cnn, x, {
        layer: 'relu',
        target: targets,
        baselines: b,
        nSteps: 5,
        method: 'riemann_trapezoid',
        internalBatchSize,
      });
      expectTensorsClose(attributions, expected, { atol: 1e-6 });
    }
  });

  it('layerConductance sums to f(x)[t] − f(b)[t] (delta small); a list equals separate runs', async () => {
    const { attributions, delta } = await layerConductance(mlp, xm, {
      layer: ['fc1', 'relu1'],
      target: 0,
      nSteps: 300,
      method: 'riemannTrapezoid',
      returnConvergenceDelta: true,
    });
    for (const layer of ['fc1', 'relu1']) {
      const gap = tf.sub(
        tf.reshape(tf.slice(mlp.run(xm), [0, 0], [-1, 1]), [4]),
        tf.reshape(tf.slice(mlp.run(tf.zerosLike(xm)), [0, 0], [-1, 1]), [4]),
      );
      expectTensorsClose(tf.sum(attributions[layer], 1), gap, { atol: 2e-2 });
      expectTensorsClose(delta![layer], tf.sub(tf.sum(attributions[layer], 1), gap), { atol: 1e-5 });
      const alone = await layerConductance(mlp, xm, {
        layer,
        target: 0,
        nSteps: 300,
        method: 'riemannTrapezoid',
      });
      expectTensorsClose(alone.attributions, attributions[layer], { atol: 1e-6 });
    }
  });

  it('layerIntegratedGradients integrates in layer space and is complete', async () => {
    const { stepSizes, alphas } = literalPathSchedule('gausslegendre', 8);
    const ax = mlp.forward(xm).values.get('fc1')!;
    const ab = mlp.forward(tf.zerosLike(xm)).values.get('fc1')!;
    let total = tf.zerosLike(ax);
    alphas.forEach((alpha, k) => {
      const point = tf.add(ab, tf.mul(alpha, tf.sub(ax, ab)));
      const g = tf.grad((a: tf.Tensor) =>
        tf.sum(selectTarget(mlp.forward(xm, { hooks: [{ node: 'fc1', after: () => a }] }).output, 1, 'test')),
      )(point);
      total = tf.add(total, tf.mul(stepSizes[k], g));
    });
    const { attributions, delta } = await layerIntegratedGradients(mlp, xm, {
      layer: 'fc1',
      target: 1,
      nSteps: 8,
      internalBatchSize: 12,
      returnConvergenceDelta: true,
    });
    expectTensorsClose(attributions, tf.mul(tf.sub(ax, ab), total), { atol: 1e-5 });
    const fine = await layerIntegratedGradients(mlp, xm, {
      layer: 'relu1',
      attributeToLayerInput: true,
      target: 1,
      nSteps: 400,
      method: 'riemannTrapezoid',
      returnConvergenceDelta: true,
    });
    expect(Math.max(...Array.from(fine.delta!.dataSync(), Math.abs))).toBeLessThan(2e-2);
    expect(delta!.shape).toEqual([4]);
  });

  it('leaves no tensors and no hooks behind, also when a call throws', async () => {
    await expectNoLeaks(() =>
      layerActivation(cnn, x, { layer: ['conv', 'relu'], attributeToLayerInput: true }),
    );
    await expectNoLeaks(() => layerGradient(cnn, x, { layer: 'pool', target: targets }));
    await expectNoLeaks(() => layerGradientXActivation(cnn, x, { layer: ['pool', 'fc'], target: targets }));
    await expectNoLeaks(() =>
      internalInfluence(cnn, x, { layer: 'pool', target: targets, nSteps: 4, internalBatchSize: 6 }),
    );
    await expectNoLeaks(() =>
      layerConductance(cnn, x, {
        layer: ['pool', 'bn'],
        target: targets,
        nSteps: 4,
        internalBatchSize: 6,
        returnConvergenceDelta: true,
      }),
    );
    await expectNoLeaks(() =>
      layerIntegratedGradients(cnn, x, {
        layer: 'bn',
        target: targets,
        nSteps: 4,
        internalBatchSize: 6,
        returnConvergenceDelta: true,
      }),
    );
    await expectNoLeaks(() =>
      layerIntegratedGradients(cnn, x, { layer: 'bn', target: 9, nSteps: 4 }).catch(() => undefined),
    );
    await expectNoLeaks(() =>
      layerConductance(cnn, x, { layer: 'bn', target: 9, nSteps: 4 }).catch(() => undefined),
    );
    expect(cnn.hooks).toEqual([]);
  });

  it('refuses unknown layers, bad layer lists, small internalBatchSize and bad targets with typed errors', async () => {
    for (const call of [
      () => layerActivation(cnn, x, { layer: 'nope' }),
      () => layerGradientXActivation(cnn, x, { layer: ['conv', 'nope'], target: 0 }),
      () => internalInfluence(cnn, x, { layer: 'nope', target: 0 }),
      () => layerConductance(cnn, x, { layer: 'nope', target: 0 }),
      () => layerIntegratedGradients(cnn, x, { layer: 'nope', target: 0 }),
    ]) {
      await expect(call()).rejects.toThrow(UnknownNodeError);
    }
    await expect(layerConductance(cnn, x, { layer: 'nope', target: 0 })).rejects.toThrow(
      /layerConductance: no node named 'nope'/,
    );
    await expect(layerActivation(cnn, x, { layer: [] })).rejects.toThrow(
      /'layer' passed to 'layerActivation'/,
    );
    await expect(
      layerIntegratedGradients(cnn, x, { layer: ['bn', 'conv'] as never, target: 0 }),
    ).rejects.toThrow(InvalidArgumentError);
    await expect(
      layerConductance(cnn, x, { layer: 'bn', target: targets, internalBatchSize: 2 }),
    ).rejects.toThrow(/'internalBatchSize' passed to 'layerConductance'/);
    await expect(internalInfluence(cnn, x, { layer: 'bn', target: [0, 1] })).rejects.toThrow(
      /'target' passed to 'internalInfluence'/,
    );
    await expect(layerIntegratedGradients(cnn, x, { layer: 'bn', target: 4 })).rejects.toThrow(
      /'target' passed to 'layerIntegratedGradients'/,
    );
    await expect(layerGradient(cnn, x, { layer: 'bn', target: 4 })).rejects.toThrow(
      /class index in \[0, 3\)/,
    );
  });
});
