import type { ConformanceAdapter } from '@attrib/core';
import { captumConformanceAdapters } from './captum-conformance.js';
import { zennitConformanceAdapters } from './zennit-conformance.js';

/** Methods of this package checked against the reference fixtures (tooling/conformance). */
export const conformanceAdapters: readonly ConformanceAdapter[] = [
  ...zennitConformanceAdapters,
  ...captumConformanceAdapters,
];
