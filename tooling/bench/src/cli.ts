#!/usr/bin/env node
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, Option } from 'commander';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import type { BenchSuite, BackendName } from './harness.js';

const program = new Command('bench')
  .description('Attrib benchmarks; every figure is a ratio to a baseline timed in the same process.')
  .option('--suite <names...>', 'only these suites (file names in src/suites)')
  .addOption(new Option('--backend <names...>', 'backends').choices(['cpu', 'wasm']).default(['wasm', 'cpu']))
  .option('--quick', 'fewer iterations (smoke run)')
  .parse();
const options = program.opts<{ suite?: string[]; backend: BackendName[]; quick?: boolean }>();

tf.env().set('PROD', true);
const suitesDir = join(dirname(fileURLToPath(import.meta.url)), 'suites');
const files = readdirSync(suitesDir)
  .filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts') && !f.endsWith('.map'))
  .sort();
for (const backend of options.backend) {
  await tf.setBackend(backend);
  await tf.ready();
  for (const file of files) {
    const { suite } = (await import(pathToFileURL(join(suitesDir, file)).href)) as { suite: BenchSuite };
    if (options.suite && !options.suite.includes(suite.name)) continue;
    console.log(`\n## ${suite.name} [${backend}] — ${suite.description}`);
    const rows = await suite.run({ backend, scale: options.quick ? 0.3 : 1 });
    let group = '';
    for (const row of rows) {
      if (row.group !== group) console.log(`  ${(group = row.group)}`);
      console.log(
        `    ${row.name.padEnd(44)} ${row.medianMs.toFixed(2).padStart(10)} ms   ${row.ratio.toFixed(2).padStart(7)}x`,
      );
    }
  }
}
