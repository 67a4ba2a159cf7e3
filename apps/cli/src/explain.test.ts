import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommanderError, type Command } from 'commander';
import { fixturePath } from '@attrib/test-utils';
// PNG bytes through @attrib/viz (its own tests check decode/encode against fast-png directly).
import { createImage, decodeImage, encodePng } from '@attrib/viz';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from './backend.js';
import { METHOD_NAMES, runExplain } from './explain/run-explain.js';
import { createProgram } from './program.js';

/** Runs `attrib …args` in-process; returns stderr and the CommanderError it ended with, if any. */
async function attrib(args: string[]): Promise<{ error?: CommanderError; stderr: string; stdout: string }> {
  let stderr = '';
  let stdout = '';
  const log = console.log;
  console.log = (line: string) => (stdout += `${line}\n`);
  const program = createProgram((p: Command) =>
    p
      .exitOverride()
      .configureOutput({ writeErr: (text) => (stderr += text), writeOut: (text) => (stdout += text) }),
  );
  try {
    await program.parseAsync(args, { from: 'user' });
    return { stderr, stdout };
  } catch (error) {
    if (error instanceof CommanderError) return { error, stderr, stdout };
    throw error;
  } finally {
    console.log = log;
  }
}

const model = fixturePath('conformance', 'models', 'cnn_small.json');
const caseFile = fixturePath(
  'conformance',
  'cases',
  'cnn_small',
  'zennit',
  'NameMapComposite',
  'conv1_Gamma_g0.25.json',
);
const reference = JSON.parse(readFileSync(caseFile, 'utf8')) as {
  inputs: { data: number[] };
  expected: { output: { data: number[] } };
};
const dir = mkdtempSync(join(tmpdir(), 'attrib-explain-'));
// The fixture's first input ([-1, 1], 16×16×3) as an 8-bit PNG: explain reads it back with --mean/--std 0.5.
const image = join(dir, 'sample.png');
const picture = createImage(16, 16, [0, 0, 0, 255]);
for (let p = 0; p < 256; p += 1)
  for (let c = 0; c < 3; c += 1)
    picture.data[p * 4 + c] = Math.round(((reference.inputs.data[p * 3 + c]! + 1) / 2) * 255);
writeFileSync(image, encodePng(picture));

/** A .npy body as float32, read with no Attrib code: header length at bytes 8–9, data after it. */
function readNpy(path: string): Float32Array {
  const bytes = readFileSync(path);
  const start = 10 + bytes.readUInt16LE(8);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + bytes.length));
}

/** Zennit's bwr (00f at 0, fff at 128, f00 at 255 on x = 255·v), as bytes truncated like its palette. */
function bwrBytes(v: number): number[] {
  const x = v * 255;
  const [from, to, t] =
    x <= 128 ? [[0, 0, 255], [255, 255, 255], x / 128] : [[255, 255, 255], [255, 0, 0], (x - 128) / 127];
  return from.map((a, c) => Math.floor(a + (to[c]! - a) * t + 1e-9));
}

describe('attrib explain on cnn_small and a PNG', () => {
  const out = join(dir, 'out');
  let summary: {
    inputs: {
      target: number;
      logits: number[];
      pictures: Record<string, string>;
      completenessDelta: Record<string, number>;
      grid: string;
    }[];
  };

  beforeAll(async () => {
    const result = await attrib([
      'explain',
      '--model',
      model,
      '--input',
      image,
      '--method',
      'saliency,lrp:epsilonPlusFlat',
      '--mean',
      '0.5',
      '--std',
      '0.5',
      '--backend',
      'cpu',
      '--out',
      out,
      '--outlier',
      '0',
    ]);
    expect(result.error).toBeUndefined();
    summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  });

  it('reports the logits of the 8-bit input (close to the fixture’s) and explains the predicted class', () => {
    const [sample] = summary.inputs;
    const expected = reference.expected.output.data.slice(0, 5);
    sample!.logits.forEach((v, k) => expect(Math.abs(v - expected[k]!)).toBeLessThan(0.05));
    expect(sample!.target).toBe(expected.indexOf(Math.max(...expected)));
    expect(Number.isFinite(sample!.completenessDelta['lrp:epsilonPlusFlat'])).toBe(true);
  });

  it('the heat map is reddest where the attribution is largest, and ordered like it', () => {
    const relevance = readNpy(join(out, 'lrp-epsilonPlusFlat.npy'));
    const perPixel = Array.from(
      { length: 256 },
      (_, p) => relevance[p * 3]! + relevance[p * 3 + 1]! + relevance[p * 3 + 2]!,
    );
    const png = decodeImage(readFileSync(summary.inputs[0]!.pictures['lrp:epsilonPlusFlat']!));
    expect([png.width, png.height]).toEqual([256, 256 + 20]); // ×16 cells over an 8 px gap and a 12 px bar
    const cell = (p: number) => {
      const o = ((Math.floor(p / 16) * 16 + 8) * png.width + (p % 16) * 16 + 8) * 4;
      return [png.data[o]!, png.data[o + 1]!, png.data[o + 2]!];
    };
    const top = perPixel.indexOf(Math.max(...perPixel));
    expect(cell(top)).toEqual([255, 0, 0]);
    const redness = (p: number) => cell(p)[0]! - cell(p)[2]!;
    for (let i = 0; i < 256; i += 7)
      for (let j = 0; j < 256; j += 5)
        if (perPixel[i]! > perPixel[j]!) expect(redness(i)).toBeGreaterThanOrEqual(redness(j));
  });

  it('the colour bar under the map is the bwr map from left to right', () => {
    const png = decodeImage(readFileSync(summary.inputs[0]!.pictures.saliency!));
    const row = 256 + 8 + 6;
    for (const x of [0, 64, 127, 128, 200, 255]) {
      const o = (row * png.width + x) * 4;
      expect([png.data[o], png.data[o + 1], png.data[o + 2]]).toEqual(bwrBytes(x / 255));
    }
  });

  it('gradCam on --layer relu2 is upsampled to the input: a 16×16 map, saturated where |map| is largest', async () => {
    const camOut = join(dir, 'cam');
    const result = await attrib([
      'explain',
      '--model',
      model,
      '--input',
      image,
      '--method',
      'gradCam',
      '--layer',
      'relu2',
      '--mean',
      '0.5',
      '--std',
      '0.5',
      '--backend',
      'cpu',
      '--out',
      camOut,
      '--outlier',
      '0',
    ]);
    expect(result.error).toBeUndefined();
    const cam = readNpy(join(camOut, 'gradCam.npy'));
    expect(cam.length).toBe(256);
    const png = decodeImage(readFileSync(join(camOut, 'sample.gradCam.png')));
    const magnitudes = Array.from(cam, Math.abs);
    const top = magnitudes.indexOf(Math.max(...magnitudes));
    const o = ((Math.floor(top / 16) * 16 + 8) * png.width + (top % 16) * 16 + 8) * 4;
    // GradCAM without ReLU (Captum's default) may be negative: the far end of bwr on the value's side.
    expect([png.data[o], png.data[o + 1], png.data[o + 2]]).toEqual(
      cam[top]! > 0 ? [255, 0, 0] : [0, 0, 255],
    );
  });

  it('writes a grid per input', () => {
    const grid = decodeImage(readFileSync(summary.inputs[0]!.grid));
    expect(grid.width).toBeGreaterThan(3 * 256);
  });
});

describe('attrib explain refuses with one line and exit code 1', () => {
  const notAModel = join(dir, 'not-a-model.json');
  writeFileSync(notAModel, JSON.stringify({ hello: 'world' }));
  const text = join(dir, 'notes.txt');
  writeFileSync(text, 'hello');
  const mlp = fixturePath('conformance', 'models', 'mlp_pos_neg.json');
  it.each([
    [['explain', '--model', model, '--input', image, '--colour', 'red'], /unknown option '--colour'/],
    [['explain', '--input', image], /required option '--model <file>' not specified/],
    [['explain', '--model', model], /required option '--input <files>' not specified/],
    [
      ['explain', '--model', join(dir, 'missing.json'), '--input', image],
      /cannot read --model .*no such file/,
    ],
    [
      ['explain', '--model', model, '--input', join(dir, 'missing.png')],
      /cannot read --input .*no such file/,
    ],
    [['explain', '--model', image, '--input', image], /is neither JSON/],
    [['explain', '--model', notAModel, '--input', image], /JSON but not a model/],
    [['explain', '--model', model, '--input', text], /unknown file type '.txt'/],
    [
      ['explain', '--model', model, '--input', image, '--method', 'gradcam'],
      /--method 'gradcam' is not one of/,
    ],
    [
      ['explain', '--model', model, '--input', image, '--target', '9'],
      /--target must be a class index in \[0, 5\)/,
    ],
    [['explain', '--model', mlp, '--input', image], /is an image, but the model takes/],
    [['explain', '--model', model, '--input', image, '--size', 'big'], /--size must be HEIGHTxWIDTH/],
    [
      ['explain', '--model', model, '--input', image, '--method', 'gradCam'],
      /gradCam needs --layer <node>.*conv2/,
    ],
    [['explain', '--model', model, '--input', image, '--method', 'gradCam', '--layer', 'conv9'], /conv9/],
    [['explain', '--model', model, '--input', image, '--backend', 'gpu'], /'gpu' is invalid/],
  ])('attrib %j', async (args, message) => {
    const { error, stderr } = await attrib([
      ...args,
      '--out',
      join(dir, 'refused'),
      ...(args.includes('--backend') ? [] : ['--backend', 'cpu']),
    ]);
    expect(error?.exitCode).toBe(1);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^error: /);
  });
});

describe('attrib explain reads the same network as ONNX and as a tfjs-layers model.json', () => {
  const run = async (file: string, out: string) => {
    const result = await attrib([
      'explain',
      '--model',
      file,
      '--input',
      image,
      '--method',
      'saliency',
      '--mean',
      '0.5',
      '--std',
      '0.5',
      '--backend',
      'cpu',
      '--out',
      out,
    ]);
    expect(result.error).toBeUndefined();
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
      inputs: { logits: number[] }[];
    };
    return { logits: summary.inputs[0]!.logits, saliency: readNpy(join(out, 'saliency.npy')) };
  };
  it.each([
    ['cnn_small.onnx', fixturePath('conformance', 'models', 'cnn_small.onnx')],
    ['cnn_small.layers/model.json', fixturePath('conformance', 'models', 'cnn_small.layers', 'model.json')],
  ])('%s: logits and saliency as from the attrib-model/1 file', async (name, file) => {
    const json = await run(model, join(dir, 'from-json'));
    const other = await run(file, join(dir, `from-${name.replace(/\W/g, '-')}`));
    other.logits.forEach((v, k) => expect(v).toBeCloseTo(json.logits[k]!, 4));
    expect(other.saliency.length).toBe(json.saliency.length);
    const scale = Math.max(...json.saliency);
    other.saliency.forEach((v, k) => expect(Math.abs(v - json.saliency[k]!)).toBeLessThan(1e-4 * scale));
  });
});

describe('attrib explain on wasm', () => {
  it('gives the cpu run’s saliency (smoke: same files, values within float32 noise)', async () => {
    const runOn = async (backend: string) => {
      const out = join(dir, `on-${backend}`);
      const result = await attrib([
        'explain',
        '--model',
        model,
        '--input',
        image,
        '--method',
        'saliency',
        '--mean',
        '0.5',
        '--std',
        '0.5',
        '--backend',
        backend,
        '--out',
        out,
      ]);
      expect(result.error).toBeUndefined();
      return readNpy(join(out, 'saliency.npy'));
    };
    const cpu = await runOn('cpu');
    const wasm = await runOn('wasm');
    const scale = Math.max(...cpu);
    expect(scale).toBeGreaterThan(0);
    wasm.forEach((v, k) => expect(Math.abs(v - cpu[k]!)).toBeLessThan(1e-4 * scale));
  });
});

describe('runExplain', () => {
  it('leaves no tensor behind (weights, inputs, attributions, deltas), on every method', async () => {
    await useBackend('cpu');
    const before = tf.memory().numTensors;
    await runExplain({
      model,
      inputs: [image],
      methods: METHOD_NAMES,
      layer: 'relu2',
      out: join(dir, 'leak'),
      scale: 1 / 255,
      mean: [0.5],
      std: [0.5],
      channelOrder: 'rgb',
      sign: 'all',
      outlierPercentile: 2,
      steps: 4,
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
