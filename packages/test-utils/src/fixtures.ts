import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The fixture sets kept in the repository's `fixtures/` folder (copied from the public references). */
export type FixtureSet = 'conformance' | 'conformance-text';

/**
 * The path of a file or folder inside one of the repository's reference fixture sets, e.g.
 * `fixturePath('conformance', 'models', 'cnn_small.json')`. The repository root is found by walking up
 * from the working directory (jest runs in a package folder), so it works from any package, compiled to
 * CommonJS or ESM. `ATTRIB_FIXTURES` overrides the `conformance` set's folder (to test against another
 * copy). Throws when the fixtures are missing: a test that needs them must fail, never skip.
 */
export function fixturePath(set: FixtureSet, ...segments: string[]): string {
  const override = set === 'conformance' ? process.env.ATTRIB_FIXTURES : undefined;
  if (override) return join(resolve(override), ...segments);
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const candidate = join(dir, 'fixtures', set);
    if (existsSync(join(candidate, 'INDEX.json'))) return join(candidate, ...segments);
    if (dirname(dir) === dir) {
      throw new Error(
        `fixturePath: no fixtures/${set}/INDEX.json in ${process.cwd()} or any folder above it`,
      );
    }
  }
}
