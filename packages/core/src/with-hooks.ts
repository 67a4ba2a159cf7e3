import type { Graph } from './graph.js';
import type { ForwardHook } from './hooks.js';

/**
 * Registers `hooks` on `graph` for the duration of `body` and removes them afterwards, also when
 * `body` throws or its promise rejects.
 */
export async function withHooks<T>(
  graph: Graph,
  hooks: readonly ForwardHook[],
  body: () => T | Promise<T>,
): Promise<T> {
  const handles = [];
  try {
    for (const hook of hooks) handles.push(graph.addHook(hook));
    return await body();
  } finally {
    for (const handle of handles) handle.remove();
  }
}
