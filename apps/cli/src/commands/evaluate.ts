import { InvalidArgumentError, Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import * as tf from '@tensorflow/tfjs-core';
import { AttribError } from '@attrib/core';
import { neuronImportanceReport, type BuiltinScorer, type NeuronImportanceReport } from '@attrib/metrics';
import { trainTower3 } from '@attrib/toy-models';
import { BACKENDS, useBackend, type BackendName } from '../backend.js';

interface EvaluateFlags {
  readonly backend: BackendName;
  readonly seed: number;
  readonly seeds: number;
  readonly layer: string;
  readonly mode: 'zero' | 'mean';
  readonly json?: boolean;
}

const METHODS: BuiltinScorer[] = ['gradXAct', 'gradientAbs', 'gradient'];
const CLASS_NAMES = ['negative', 'positive'];

const integerAtLeast = (minimum: number) => (name: string) => (value: string) => {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isInteger(parsed) || parsed < minimum)
    throw new InvalidArgumentError(`--${name} must be an integer ≥ ${minimum}.`);
  return parsed;
};
const nonNegativeInteger = integerAtLeast(0);
const positiveInteger = integerAtLeast(1);

/** One line per cluster and method: what ablating the top-ranked units does to accuracy, against random. */
export function formatEvaluation(report: NeuronImportanceReport): string {
  const header = [
    'cluster',
    'method',
    'top units',
    'AUC top',
    'AUC random',
    'AUC bottom',
    'random−top',
    'p',
    'off-cluster AUC top',
  ];
  const rows = Object.entries(report.clusters).flatMap(([cluster, { methods }]) =>
    Object.entries(methods).map(([method, m]) => {
      const accuracy = m.cluster.accuracy;
      return [
        cluster,
        method,
        m.ranking.slice(0, 4).join(','),
        accuracy.areas.top.toFixed(3),
        accuracy.areas.randomMean.toFixed(3),
        accuracy.areas.bottom.toFixed(3),
        accuracy.areas.randomMinusTop.toFixed(3),
        accuracy.pValue.toFixed(3),
        m.offCluster ? m.offCluster.accuracy.areas.top.toFixed(3) : '—',
      ];
    }),
  );
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd();
  return [
    `Neuron ablation on '${report.layer}' (${report.units} units, ${report.mode} ablation, ${report.seeds.length} random seeds): accuracy area over the ablated share`,
    line(header),
    line(widths.map((w) => '─'.repeat(w))),
    ...rows.map(line),
    'p = (1 + random-k seeds at least as damaging as top-k) / (1 + seeds) (lower: the ranking finds the units that matter).',
    ...formatDiagnosis(report),
  ].join('\n');
}

/** The report's diagnosis sentences per cluster: its causes, then one verdict per method. */
function formatDiagnosis(report: NeuronImportanceReport): string[] {
  const clusters = Object.entries(report.clusters).filter(([, cluster]) => cluster.diagnosis);
  if (clusters.length === 0) return [];
  return [
    '',
    'Diagnosis',
    ...clusters.flatMap(([name, cluster]) => [
      `${name}:`,
      ...cluster.diagnosis!.sentences.map((sentence) => `  ${sentence}`),
    ]),
  ];
}

/** `attrib evaluate`: train the 3-tower toy model and check its neuron rankings by ablation against random. */
export function register(program: Command): void {
  program
    .command('evaluate')
    .description(
      'train the 3-tower toy model, rank the units of a layer per class cluster, and compare top-k / bottom-k / random-k ablation curves',
    )
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(BACKENDS).default('wasm'))
    .option(
      '--seed <n>',
      'seed for the data, the initial weights and the ranking/evaluation split',
      nonNegativeInteger('seed'),
      0,
    )
    .option('--seeds <n>', 'random-k seeds per curve', positiveInteger('seeds'), 20)
    .option('--layer <node>', 'layer whose units are ranked and ablated', 'concat')
    .addOption(
      new Option('--mode <mode>', 'what an ablated unit becomes').choices(['zero', 'mean']).default('zero'),
    )
    .option('--json', 'print the report as JSON')
    .action(async (flags: EvaluateFlags) => {
      await useBackend(flags.backend);
      const toy = trainTower3({ seed: flags.seed });
      const clusters = Object.fromEntries(
        CLASS_NAMES.map((name, label) => {
          const ids = Array.from(toy.labels).flatMap((l, i) => (l === label ? [i] : []));
          return [
            name,
            {
              inputs: tf.tidy(() => tf.gather(toy.inputs, tf.tensor1d(ids, 'int32'))),
              labels: ids.map(() => label),
            },
          ];
        }),
      );
      // A bar only for a person watching: never in pipes, logs or --json output.
      const bar =
        process.stdout.isTTY && !flags.json
          ? new cliProgress.SingleBar(
              { format: 'evaluating [{bar}] {value}/{total}  {stage}' },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
      let report: NeuronImportanceReport | undefined;
      let failure: string | undefined;
      try {
        bar?.start(CLASS_NAMES.length * METHODS.length, 0, { stage: '' });
        report = await neuronImportanceReport(toy.model, flags.layer, clusters, {
          methods: METHODS,
          seeds: flags.seeds,
          mode: flags.mode,
          splitSeed: flags.seed,
          onProgress: (p) => bar?.update(p.done, { stage: p.stage ?? '' }),
        });
      } catch (error) {
        // Typed errors carry a message written for people (which argument, what was expected).
        if (!AttribError.isInstance(error)) throw error;
        failure = error.message;
      } finally {
        bar?.stop();
        tf.dispose(Object.values(clusters).map((c) => c.inputs));
        toy.dispose();
      }
      if (failure !== undefined) {
        console.error(`attrib evaluate: ${failure}`);
        process.exitCode = 1;
      }
      if (report) console.log(flags.json ? JSON.stringify(report, null, 2) : formatEvaluation(report));
    });
}
