import { InvalidArgumentError, Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { AttribError } from '@attrib/core';
import { COLOR_MAP_NAMES } from '@attrib/viz';
import { BACKENDS, useBackend, type BackendName } from '../backend.js';
import { ExplainError, METHOD_NAMES, runExplain } from '../explain/run-explain.js';

interface ExplainFlags {
  readonly model: string;
  readonly input: string[];
  readonly method: string[];
  readonly target?: string;
  readonly labels?: string[];
  readonly layer?: string;
  readonly out: string;
  readonly size?: [number, number];
  readonly scale: number;
  readonly mean: number[];
  readonly std: number[];
  readonly channelOrder: 'rgb' | 'bgr';
  readonly sign: 'all' | 'positive' | 'negative' | 'absolute';
  readonly cmap?: string;
  readonly outlier: number;
  readonly steps: number;
  readonly backend: BackendName;
  readonly json?: boolean;
}

// commander turns an InvalidArgumentError into a one-line error and exit code 1.
const list = (value: string, previous: string[] = []) => [
  ...previous,
  ...value.split(',').filter((s) => s !== ''),
];
const numbers = (name: string) => (value: string) => {
  const parsed = value.split(',').map(Number);
  if (value.trim() === '' || parsed.some((v) => !Number.isFinite(v)))
    throw new InvalidArgumentError(`--${name} must be a number or comma-separated numbers, got '${value}'.`);
  return parsed;
};
const positive = (name: string) => (value: string) => {
  const parsed = Number(value);
  if (value.trim() === '' || !(parsed > 0))
    throw new InvalidArgumentError(`--${name} must be a positive number, got '${value}'.`);
  return parsed;
};
const percent = (value: string) => {
  const parsed = Number(value);
  if (value.trim() === '' || !(parsed >= 0 && parsed < 100))
    throw new InvalidArgumentError(`--outlier must be a percentage in [0, 100), got '${value}'.`);
  return parsed;
};
const size = (value: string): [number, number] => {
  const match = /^(\d+)x(\d+)$/.exec(value);
  if (!match) throw new InvalidArgumentError(`--size must be HEIGHTxWIDTH (e.g. 224x224), got '${value}'.`);
  return [Number(match[1]), Number(match[2])];
};

/** `attrib explain`: heat maps of a model file's decision on inputs, one PNG per input and method. */
export function register(program: Command): void {
  program
    .command('explain')
    .description(
      'explain a model file (attrib-model/1 JSON, tfjs-layers model.json, .onnx) on images or arrays: PNG heat maps, .npy attributions, summary.json',
    )
    .requiredOption('--model <file>', 'attrib-model/1 .json, tfjs-layers model.json or .onnx')
    .requiredOption(
      '--input <files>',
      'images (.png, .jpg), .npy, .json or .csv; repeat or comma-separate',
      list,
    )
    .option('--method <names>', `comma-separated: ${METHOD_NAMES.join(', ')}`, list)
    .option('--target <class>', "class index or label to explain (default: each input's predicted class)")
    .option('--labels <names>', 'comma-separated class names, in output order', list)
    .option('--layer <node>', 'the conv layer gradCam reads')
    .option('--out <dir>', 'where the files go', 'attrib-explain')
    .option('--size <HxW>', "image size fed to the model (default: the model's input size)", size)
    .option('--scale <s>', 'pixel bytes × scale before mean/std (default 1/255)', positive('scale'), 1 / 255)
    .option('--mean <m>', 'subtracted after scaling, one value or one per channel', numbers('mean'), [0])
    .option('--std <s>', 'divides after the mean, one value or one per channel', numbers('std'), [1])
    .addOption(
      new Option('--channel-order <order>', 'channel order the model expects')
        .choices(['rgb', 'bgr'])
        .default('rgb'),
    )
    .addOption(
      new Option('--sign <sign>', 'evidence shown')
        .choices(['all', 'positive', 'negative', 'absolute'])
        .default('all'),
    )
    .addOption(
      new Option('--cmap <name>', 'colour map (default: bwr for --sign all, Captum’s otherwise)').choices([
        ...COLOR_MAP_NAMES,
      ]),
    )
    .option(
      '--outlier <percent>',
      'share of |attribution| mass above the colour scale (Captum outlier_perc)',
      percent,
      2,
    )
    .option('--steps <n>', 'integration steps for integratedGradients', positive('steps'), 32)
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(BACKENDS).default('wasm'))
    .option('--json', 'print the summary as JSON')
    .action(async (flags: ExplainFlags, command: Command) => {
      const methods = flags.method ?? ['saliency', 'integratedGradients', 'lrp:epsilonPlusFlat'];
      const bar =
        process.stdout.isTTY && !flags.json
          ? new cliProgress.SingleBar(
              { format: 'explaining [{bar}] {value}/{total} methods  {stage}' },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
      try {
        await useBackend(flags.backend);
        const summary = await runExplain({
          model: flags.model,
          inputs: flags.input,
          methods,
          target: flags.target,
          labels: flags.labels,
          layer: flags.layer,
          out: flags.out,
          size: flags.size,
          scale: flags.scale,
          mean: flags.mean,
          std: flags.std,
          channelOrder: flags.channelOrder,
          sign: flags.sign,
          cmap: flags.cmap,
          outlierPercentile: flags.outlier,
          steps: Math.round(flags.steps),
          onProgress: bar
            ? (done, total, stage) => {
                if (done === 0) bar.start(total, 0, { stage });
                bar.update(done, { stage });
              }
            : undefined,
        });
        bar?.stop();
        if (flags.json) console.log(JSON.stringify(summary, null, 2));
        else
          for (const input of summary.inputs)
            console.log(
              `${input.input}: class ${input.label ?? input.target} → ${input.grid} (${Object.values(input.pictures).join(', ')})`,
            );
      } catch (error) {
        bar?.stop();
        // Refusals (bad files, wrong formats, typed Attrib errors) are one line and exit code 1.
        if (error instanceof ExplainError || AttribError.isInstance(error))
          command.error(`error: attrib explain: ${(error as Error).message.split('\n')[0]}`, {
            exitCode: 1,
            code: 'attrib.explain',
          });
        throw error;
      }
    });
}
