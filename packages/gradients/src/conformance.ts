import type { ConformanceAdapter } from '@attrib/core';
import { clusterConformanceAdapters } from './cluster-conformance.js';
import { pathConformanceAdapters } from './path-conformance.js';
import { ruleConformanceAdapters } from './rule-conformance.js';

/** Methods of this package checked against the reference fixtures (tooling/conformance). */
export const conformanceAdapters: readonly ConformanceAdapter[] = [
  ...clusterConformanceAdapters,
  ...pathConformanceAdapters,
  ...ruleConformanceAdapters,
];
