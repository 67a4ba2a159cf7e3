import { Command } from 'commander';
import { register as registerImportance } from './commands/importance.js';
// ── Other commands: one import and one register call each, here. ──────────────────────────────
import { register as registerEvaluate } from './commands/evaluate.js';
import { register as registerExplain } from './commands/explain.js';

/**
 * The `attrib` program. `configure` runs before the commands are added, because commander copies a
 * program's settings (exit override, output) into each command when it is created.
 */
export function createProgram(configure: (program: Command) => void = () => {}): Command {
  const program = new Command('attrib').description('Attrib: explain neural networks in JavaScript');
  // An argument no command reads is a mistake (`attrib importance my-model.json` would otherwise
  // train the toy model and exit 0 as if the file had been used): commander rejects it, inherited
  // by every command.
  program.allowExcessArguments(false);
  configure(program);
  registerImportance(program);
  registerEvaluate(program);
  registerExplain(program);
  return program;
}
