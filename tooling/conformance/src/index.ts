export {
  runConformance,
  type ConformanceReport,
  type CaseReport,
  type ModelReport,
  type CaseStatus,
} from './run.js';
export { compareValues, type Comparison } from './compare.js';
export { registeredAdapters } from './adapters.js';
