import type { ConformanceAdapter } from '@attrib/core';

/** Methods of this package checked against the reference fixtures (tooling/conformance). */
export const conformanceAdapters: readonly ConformanceAdapter[] = [];
