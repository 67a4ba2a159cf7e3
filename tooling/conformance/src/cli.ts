#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registeredAdapters } from './adapters.js';
import { modelFormats, type ModelFormat } from './model-formats.js';
import { runConformance } from './run.js';

// The repository's own copy of the public references (tooling/conformance/{src,dist} → the root), so a
// fresh clone runs with nothing beside it; `pnpm fixtures:refresh` updates it.
const inRepoFixtures = fileURLToPath(new URL('../../../fixtures/conformance', import.meta.url));

const program = new Command('conformance')
  .description('Check Attrib methods against the reference fixtures (Captum, Zennit).')
  .option('--fixtures <dir>', 'fixtures folder (INDEX.json, models/, cases/)', inRepoFixtures)
  .option('--report <file.json>', 'write the full report as JSON')
  .addOption(new Option('--backend <name>', 'tfjs backend').choices(['cpu', 'wasm']).default('cpu'))
  .option('--filter <text>', 'only cases whose id contains this text')
  .addOption(
    new Option(
      '--model-format <format>',
      'which file of each model to load: models/<id>.json, .onnx or .layers/model.json',
    )
      .choices(modelFormats)
      .default('attrib'),
  )
  .parse();

const options = program.opts<{
  fixtures: string;
  report?: string;
  backend: 'cpu' | 'wasm';
  filter?: string;
  modelFormat: ModelFormat;
}>();

// PROD silences tfjs's "install tfjs-node" banner, which would interleave with our lines.
tf.env().set('PROD', true);
if (!(await tf.setBackend(options.backend)))
  throw new Error(`backend '${options.backend}' failed to initialise`);
await tf.ready();

const report = await runConformance({
  fixtures: options.fixtures,
  filter: options.filter,
  adapters: registeredAdapters(),
  modelFormat: options.modelFormat,
  onCase(c) {
    if (c.status === 'fail') console.log(`FAIL ${c.id}: ${c.message}`);
    if (c.status === 'error') console.log(`ERROR ${c.id}: ${c.message}`);
  },
});

for (const model of report.models) {
  if (model.status === 'fail')
    console.log(
      `FAIL model ${model.id}: output differs from expected.output (max |err| ${model.maxAbsError.toExponential(3)})`,
    );
}
const count = (status: string) => report.cases.filter((c) => c.status === status).length;
const skipReasons = new Map<string, number>();
for (const c of report.cases)
  if (c.status === 'skipped') skipReasons.set(c.message, (skipReasons.get(c.message) ?? 0) + 1);
for (const [reason, n] of [...skipReasons].sort()) console.log(`skipped ${n}: ${reason}`);
if (options.report) writeFileSync(options.report, JSON.stringify(report, null, 1));
const failed = count('fail') + count('error');
console.log(`conformance: ${count('pass')} passed, ${failed} failed, ${count('skipped')} skipped`);
process.exitCode = failed === 0 && report.models.every((m) => m.status !== 'fail') ? 0 : 1;
