import { InvalidArgumentError, Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { BACKENDS, useBackend, type BackendName } from '../backend.js';
import { formatReport } from '../format-report.js';
import { runImportanceJob } from '../importance-job.js';

interface ImportanceFlags {
  readonly backend: BackendName;
  readonly seed: number;
  readonly steps?: number;
  readonly json?: boolean;
}

const integer = (name: string) => (value: string) => {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isInteger(parsed) || parsed < 0)
    // commander turns an InvalidArgumentError into a one-line error and exit code 1 (a plain Error
    // would escape as a stack trace).
    throw new InvalidArgumentError(`--${name} must be a non-negative integer, got '${value}'.`);
  return parsed;
};

/** `attrib importance`: train the 3-tower toy model, score its towers, check the informative one wins. */
export function register(program: Command): void {
  program
    .command('importance')
    .description(
      'train the 3-tower toy model and rank its towers by cluster neuron importance (exits 1 if tower1, the informative one, is not first)',
    )
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(BACKENDS).default('wasm'))
    .option('--seed <n>', 'seed for the data and the initial weights', integer('seed'), 0)
    .option('--steps <n>', 'training steps (full-batch Adam)', integer('steps'))
    .option('--json', 'print the report as JSON')
    .action(async (flags: ImportanceFlags) => {
      await useBackend(flags.backend);
      // A bar only for a person watching: never in pipes, logs or --json output.
      const bar =
        process.stdout.isTTY && !flags.json
          ? new cliProgress.SingleBar(
              { format: 'training [{bar}] {value}/{total} steps  loss {loss}' },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
      let report;
      try {
        report = await runImportanceJob({
          seed: flags.seed,
          steps: flags.steps,
          onStep: bar
            ? (step, total, loss) => {
                if (step === 1) bar.start(total, 0, { loss: '…' });
                bar.update(step, { loss: loss.toFixed(4) });
              }
            : undefined,
        });
      } finally {
        bar?.stop();
      }
      console.log(flags.json ? JSON.stringify(report, null, 2) : formatReport(report));
      if (!report.informativeFirst) {
        console.error(
          `attrib importance: ${report.ranking.meanAbs[0]} ranks first, expected ${report.informativeTower}`,
        );
        process.exitCode = 1;
      }
    });
}
