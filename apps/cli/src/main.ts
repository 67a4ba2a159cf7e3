#!/usr/bin/env node
import { Command } from 'commander';
import { register as registerImportance } from './commands/importance.js';
// ── Other commands: one import and one register call each, here. ──────────────────────────────
import { register as registerEvaluate } from './commands/evaluate.js';

const program = new Command('attrib').description('Attrib: explain neural networks in JavaScript');
registerImportance(program);
registerEvaluate(program);

await program.parseAsync();
