#!/usr/bin/env node
// Release hygiene for one published package, run by its `test` script after the build (turbo builds
// first): packs it as `pnpm publish` would, then checks what a consumer would receive.
//   - the tarball holds a LICENSE identical to the repository's, and no test files;
//   - package.json names its repository (with `directory`) and an `engines.node` floor;
//   - `publint --strict` and `attw` (profile esm-only) find nothing, both on the packed tarball;
//   - CommonJS consumers: the packages are ESM only, and `engines` requires a Node that can require()
//     ES modules (20.19+, 22.12+). A CommonJS script require()s the package and finds its exports; on a
//     Node without require(esm) it must fail with ERR_REQUIRE_ESM, which is what `engines` warns of.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = process.cwd();
const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const ENGINES = '^20.19.0 || >=22.12.0';
const problems = [];
const fail = (message) => problems.push(message);

if (pkg.repository?.directory !== relative(root, dir)) {
  fail(
    `package.json repository.directory should be '${relative(root, dir)}', is '${pkg.repository?.directory}'`,
  );
}
if (pkg.repository?.url !== JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).repository?.url) {
  fail(`package.json repository.url should be the root package.json's`);
}
if (pkg.engines?.node !== ENGINES)
  fail(`package.json engines.node should be '${ENGINES}', is '${pkg.engines?.node}'`);

const work = mkdtempSync(join(tmpdir(), 'attrib-pack-'));
try {
  // pnpm pack rewrites workspace: ranges to versions, as publishing does.
  const packed = execFileSync('pnpm', ['pack', '--pack-destination', work], { cwd: dir, encoding: 'utf8' });
  const tarball = join(work, packed.trim().split('\n').pop().split('/').pop());
  const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
  const tests = files.filter((f) => /(\.test\.|\.spec\.|__tests__\/|\/zz-)/.test(f));
  if (tests.length) fail(`the tarball ships test files: ${tests.join(', ')}`);
  if (!files.includes('package/LICENSE')) fail('the tarball has no LICENSE');
  else {
    const license = execFileSync('tar', ['-xzOf', tarball, 'package/LICENSE'], { encoding: 'utf8' });
    if (license !== readFileSync(join(root, 'LICENSE'), 'utf8'))
      fail("LICENSE differs from the repository's");
  }

  const { publint } = await import('publint');
  const { formatMessage } = await import('publint/utils');
  const bytes = readFileSync(tarball);
  const lint = await publint({
    pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) },
    strict: true,
  });
  for (const message of lint.messages) fail(`publint: ${formatMessage(message, lint.pkg, { color: false })}`);

  const attwCli = join(root, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
  const attw = spawnSync(process.execPath, [attwCli, tarball, '--profile', 'esm-only', '--format', 'ascii'], {
    encoding: 'utf8',
  });
  if (attw.status !== 0) fail(`attw --profile esm-only:\n${attw.stdout}${attw.stderr}`);

  // require() from CommonJS, resolving the package by name (self-reference through its exports map).
  const script = join(dir, '.require-check.cjs');
  writeFileSync(
    script,
    `try { const m = require(${JSON.stringify(pkg.name)}); console.log(JSON.stringify({ ok: Object.keys(m).length })); }
     catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`,
  );
  const requireWith = (flags) => {
    const run = spawnSync(process.execPath, [...flags, script], { cwd: dir, encoding: 'utf8' });
    return JSON.parse(run.stdout.trim().split('\n').pop() || '{}');
  };
  try {
    // Where Node can require() ESM the package loads; without it (an older Node, or the flag that turns
    // it off) the error is ERR_REQUIRE_ESM, the failure the engines floor is there to prevent.
    if (process.features.require_module) {
      const loaded = requireWith([]);
      if (!(loaded.ok > 0))
        fail(`require() from CommonJS failed on Node ${process.version}: ${loaded.code} ${loaded.message}`);
    }
    const old = requireWith(process.features.require_module ? ['--no-experimental-require-module'] : []);
    if (old.code !== 'ERR_REQUIRE_ESM') {
      fail(`without require(esm), require() should fail with ERR_REQUIRE_ESM, got ${JSON.stringify(old)}`);
    }
  } finally {
    rmSync(script, { force: true });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

if (problems.length) {
  console.error(`${pkg.name}: packaging check failed\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log(
  `${pkg.name}: packaging ok (LICENSE, repository, engines, no tests shipped, publint --strict, attw esm-only, require() from CommonJS)`,
);
