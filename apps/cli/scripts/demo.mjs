// `pnpm demo`: build the CLI (with a running clock, so the wait is visible), run `attrib importance` on
// the 3-tower toy model, then `attrib explain` on cnn_small and a sample image, and say where the
// pictures are and what they show.
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const out = join(root, 'attrib-demo');

function run(step, label, command, args, { quiet = false } = {}) {
  console.log(`\n[${step}/3] ${label}`);
  const started = Date.now();
  const clock = quiet
    ? setInterval(() => process.stdout.write(`  … ${Math.round((Date.now() - started) / 1000)} s\n`), 10_000)
    : undefined;
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      cwd: root,
      stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
    });
    child.on('error', fail);
    child.on('exit', (code) => {
      clearInterval(clock);
      if (code === 0) done();
      else fail(new Error(`${command} ${args.join(' ')} exited with ${code}`));
    });
  });
}

try {
  await run(
    1,
    'building the CLI and the packages it uses (turbo; a few minutes the first time)',
    'pnpm',
    ['exec', 'turbo', 'run', 'build', '--filter=@attrib/cli...', '--output-logs=errors-only'],
    { quiet: true },
  );
  const cli = join(root, 'apps/cli/dist/main.js');
  await run(2, 'attrib importance: rank the toy model’s towers by neuron importance', 'node', [
    cli,
    'importance',
  ]);
  await run(3, 'attrib explain: heat maps of cnn_small on a sample image', 'node', [
    cli,
    'explain',
    '--model',
    join(root, 'fixtures/conformance/models/cnn_small.json'),
    '--input',
    join(root, 'apps/cli/samples/cnn_small-sample.png'),
    '--method',
    'saliency,integratedGradients,lrp:epsilonPlusFlat',
    '--mean',
    '0.5',
    '--std',
    '0.5',
    '--out',
    out,
  ]);
  console.log(`\nPictures: ${join(out, 'cnn_small-sample.grid.png')} (and one PNG per method in ${out}).`);
  console.log(
    'They show, for the 16×16 input on the left, which pixels pushed cnn_small towards its predicted class (red) or away from it (blue), by saliency, integrated gradients and LRP.',
  );
} catch (error) {
  console.error(`demo: ${error.message}`);
  process.exitCode = 1;
}
