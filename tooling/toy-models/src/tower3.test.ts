import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends } from '@attrib/test-utils';
import { INFORMATIVE_FEATURE, trainTower3 } from './index.js';

const weightsOf = (tower: ReturnType<typeof trainTower3>) =>
  tower.model.nodes.flatMap((node) => Object.values(node.module.params).map((p) => Array.from(p.dataSync())));

describeWithBackends('trainTower3', ['cpu', 'wasm'], () => {
  it('learns the label from feature 1', () => {
    const tower = trainTower3({ seed: 0 });
    try {
      expect(tower.accuracy).toBeGreaterThan(0.9);
      const x = tower.inputs.arraySync();
      tower.labels.forEach((label, i) => expect(label).toBe(x[i][INFORMATIVE_FEATURE] > 0 ? 1 : 0));
      expect(tower.model.nodes.map((n) => n.name)).toEqual(
        expect.arrayContaining(['tower0', 'tower1', 'tower2', 'combiner']),
      );
    } finally {
      tower.dispose();
    }
  });

  it('is deterministic given the seed, and the seed matters', () => {
    const [a, b, c] = [
      trainTower3({ seed: 7, steps: 20 }),
      trainTower3({ seed: 7, steps: 20 }),
      trainTower3({ seed: 8, steps: 20 }),
    ];
    try {
      expect(weightsOf(a)).toEqual(weightsOf(b));
      expect(Array.from(a.inputs.dataSync())).toEqual(Array.from(b.inputs.dataSync()));
      expect(weightsOf(a)).not.toEqual(weightsOf(c));
    } finally {
      [a, b, c].forEach((t) => t.dispose());
    }
  });

  it("holds only its inputs and the model's parameters, and dispose() frees them", () => {
    const before = tf.memory().numTensors;
    const tower = trainTower3({ seed: 1, steps: 5 });
    // Training's own tensors (optimizer state, losses, variables) are gone; what is left is returned.
    const params = tower.model.nodes.flatMap((node) => Object.values(node.module.params));
    expect(params).toHaveLength(8);
    expect(tf.memory().numTensors - before).toBe(params.length + 1);
    tower.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(params.every((p) => p.isDisposed) && tower.inputs.isDisposed).toBe(true);
  });
});
