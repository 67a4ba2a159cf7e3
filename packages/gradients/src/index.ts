export {
  clusterNeuronImportance,
  mergeClusterImportance,
  type ClusterImportance,
  type ClusterImportanceOptions,
} from './cluster-importance.js';
export { type ClusterSource, type ClusterBatchInput, type Clusters } from './cluster-sources.js';
