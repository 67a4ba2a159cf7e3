export { importOnnx, modulePath, type ImportOnnxOptions } from './import-onnx.js';
export { loadOnnx, type OnnxSource } from './load-onnx.js';
