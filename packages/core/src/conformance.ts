import type * as tf from '@tensorflow/tfjs-core';
import type { Graph } from './graph.js';

/**
 * One reference case as the conformance runner hands it to a method adapter. Every `{shape, data}`
 * object in `options` arrives as a float32 tensor (cast masks yourself); `raw` is the fixture as read.
 */
export interface ConformanceCase {
  readonly id: string;
  readonly library: string;
  readonly method: string;
  readonly model: string;
  readonly inputs: tf.Tensor;
  readonly options: Readonly<Record<string, unknown>>;
  readonly raw: Readonly<Record<string, unknown>>;
}

/**
 * How a package makes one of its methods checkable against the reference fixtures. Returns a tensor
 * per expected field (`attributions`, `delta`, …; nested fields as `parent/child`). The runner owns
 * and disposes what is returned. Versioned so the contract can evolve.
 */
export interface ConformanceAdapter {
  readonly specificationVersion: 'attrib-conformance/1';
  readonly library: string;
  readonly method: string;
  run(
    model: Graph,
    testCase: ConformanceCase,
  ): Promise<Record<string, tf.Tensor>> | Record<string, tf.Tensor>;
}
