export { importOnnx, modulePath, type ImportOnnxOptions } from './import-onnx.js';
export { loadOnnx, type OnnxSource } from './load-onnx.js';
export {
  writeOnnx,
  type OnnxModelSpec,
  type OnnxNodeSpec,
  type OnnxValueSpec,
  type OnnxTensorSpec,
  type OnnxAttributeSpec,
} from './write-onnx.js';
