// tfjs-core's Node entry registers no gradients and no chained ops (`x.mul`), and its ESM files use
// extension-less imports that plain Node cannot load. We bundle tfjs-core's own registration modules
// into one self-contained ESM file. It is safe to carry this second copy of the op code: the engine,
// the kernel and gradient registries and the Tensor class all live on tfjs's global namespace, so the
// registrations land in the same registries the application's tfjs-core uses.
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const tfjsDist = dirname(require.resolve('@tensorflow/tfjs-core/package.json')) + '/dist';

await build({
  stdin: {
    contents: [
      `import '${tfjsDist}/register_all_gradients.js';`,
      `import '${tfjsDist}/public/chained_ops/register_all_chained_ops.js';`,
    ].join('\n'),
    resolveDir: tfjsDist,
    sourcefile: 'tfjs-extras-entry.js',
  },
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2020',
  minify: true,
  legalComments: 'eof',
  logLevel: 'warning',
  outfile: join(here, '..', 'vendor', 'tfjs-extras.js'),
});
