// Regenerates the README picture (`pnpm readme:picture`): the first cnn_small reference input as an 8-bit
// PNG (apps/cli/samples/cnn_small-sample.png, also what `pnpm demo` explains), then `attrib explain` on it
// with three methods; its grid becomes docs/explain-cnn_small.png. Runs from sources (tsx), on cpu.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createImage, encodePng } from '@attrib/viz';
import { createProgram } from '../src/program.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const fixture = join(
  root,
  'fixtures/conformance/cases/cnn_small/zennit/NameMapComposite/conv1_Gamma_g0.25.json',
);
const { inputs } = JSON.parse(readFileSync(fixture, 'utf8')) as { inputs: { data: number[] } };
const sample = createImage(16, 16, [0, 0, 0, 255]);
// The fixture's values are in [-1, 1]; explain maps bytes back with --mean 0.5 --std 0.5.
for (let p = 0; p < 256; p += 1)
  for (let c = 0; c < 3; c += 1)
    sample.data[p * 4 + c] = Math.round(((inputs.data[p * 3 + c]! + 1) / 2) * 255);
const samplePath = join(root, 'apps/cli/samples/cnn_small-sample.png');
writeFileSync(samplePath, encodePng(sample));

const out = mkdtempSync(join(tmpdir(), 'attrib-readme-'));
await createProgram().parseAsync(
  [
    'explain',
    '--model',
    join(root, 'fixtures/conformance/models/cnn_small.json'),
    '--input',
    samplePath,
    '--method',
    'saliency,integratedGradients,lrp:epsilonPlusFlat',
    '--mean',
    '0.5',
    '--std',
    '0.5',
    '--backend',
    'cpu',
    '--out',
    out,
  ],
  { from: 'user' },
);
copyFileSync(join(out, 'cnn_small-sample.grid.png'), join(root, 'docs/explain-cnn_small.png'));
console.log(`wrote ${join(root, 'docs/explain-cnn_small.png')} and ${samplePath}`);
