export * from './cluster-importance.js';
