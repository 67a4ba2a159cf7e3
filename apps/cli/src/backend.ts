import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

export const BACKENDS = ['wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** Activates a tfjs backend; PROD silences tfjs's "install tfjs-node" banner, which would break --json output. */
export async function useBackend(name: BackendName): Promise<void> {
  tf.env().set('PROD', true);
  if (!(await tf.setBackend(name))) throw new Error(`backend '${name}' failed to initialise`);
  await tf.ready();
}
