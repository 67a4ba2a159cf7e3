import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

export type BackendName = 'cpu' | 'wasm';

// Silences tfjs's "install tfjs-node" banner, printed on every first tensor in Node.
tf.env().set('PROD', true);
// wasm registers with a higher priority but initialises asynchronously; cpu initialises at once, so
// tensors made while a test file loads (models, fixtures) have a backend. Suites then switch.
void tf.setBackend('cpu');

/** Makes `name` the active backend (initialising it on first use). */
export async function useBackend(name: BackendName): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`useBackend: backend '${name}' failed to initialise`);
  await tf.ready();
}

/**
 * Runs the same suite once per backend, the way tfjs-core's `describeWithFlags` does. `cpu` is the
 * exactness backend; `wasm` is the smoke run. Set ATTRIB_BACKENDS=cpu to skip the others locally.
 */
export function describeWithBackends(
  title: string,
  backends: readonly BackendName[],
  body: (backend: BackendName) => void,
): void {
  const only = process.env.ATTRIB_BACKENDS?.split(',');
  for (const backend of backends) {
    if (only && !only.includes(backend)) continue;
    describe(`${title} [${backend}]`, () => {
      beforeAll(() => useBackend(backend));
      body(backend);
    });
  }
}
