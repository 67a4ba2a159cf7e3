import type { ConformanceAdapter } from '@attrib/core';
import { conformanceAdapters as gradients } from '@attrib/gradients/conformance';
import { conformanceAdapters as lrp } from '@attrib/lrp/conformance';
import { conformanceAdapters as metrics } from '@attrib/metrics/conformance';
import { conformanceAdapters as perturbation } from '@attrib/perturbation/conformance';

/** Every adapter the method packages register, by `library/method`. The runner holds no method logic. */
export function registeredAdapters(): Map<string, ConformanceAdapter> {
  const registry = new Map<string, ConformanceAdapter>();
  for (const adapter of [...gradients, ...lrp, ...perturbation, ...metrics]) {
    registry.set(`${adapter.library}/${adapter.method}`, adapter);
  }
  return registry;
}
