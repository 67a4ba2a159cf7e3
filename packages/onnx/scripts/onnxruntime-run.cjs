// Runs an ONNX model in onnxruntime-node, the tests' reference engine, in its own process: jest's
// sandbox gives typed arrays of another realm, which onnxruntime's own output check rejects.
// stdin: {"model": base64, "inputs": {name: {shape, data, type}}}; stdout: {"dims", "data"} of output 0.
const ort = require('onnxruntime-node');

let text = '';
process.stdin.on('data', (chunk) => (text += chunk));
process.stdin.on('end', async () => {
  const { model, inputs } = JSON.parse(text);
  const session = await ort.InferenceSession.create(Buffer.from(model, 'base64'));
  const feeds = {};
  for (const [name, input] of Object.entries(inputs)) {
    feeds[name] =
      input.type === 'int64'
        ? new ort.Tensor('int64', BigInt64Array.from(input.data.map((v) => BigInt(v))), input.shape)
        : new ort.Tensor('float32', Float32Array.from(input.data), input.shape);
  }
  const results = await session.run(feeds);
  const output = results[session.outputNames[0]];
  process.stdout.write(JSON.stringify({ dims: output.dims, data: Array.from(output.data) }));
});
