export { importLayersModel, supportedLayerClasses, type ImportLayersOptions } from './import-layers-model.js';
export { loadLayersModel, type LayersModelSource } from './load-layers-model.js';
