#!/usr/bin/env node
// Regenerates the root README's "Where we stand" table from commands, between the markers
// <!-- readme-table:start --> and <!-- readme-table:end -->. Nothing in the table is typed by hand:
//   conformance  the runner from sources (pnpm conformance:src) on cpu and on wasm, with --report;
//   tests        jest --json in every package that has tests (cpu and wasm suites);
//   bench        the named bench suites (ratios to a baseline timed in the same process).
// Usage: pnpm readme:table [--only conformance,tests,bench] [--bench lrp,perturbation] [--quick]
// Rows of a section not run this time are kept from the current table (they came from an earlier run).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const readmePath = join(root, 'README.md');
const START = '<!-- readme-table:start -->';
const END = '<!-- readme-table:end -->';
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const only = arg('--only', 'conformance,tests,bench').split(',');
const benchSuites = arg('--bench', 'lrp')
  .split(',')
  .filter((s) => s && s !== 'none');
const quick = process.argv.includes('--quick');
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const work = mkdtempSync(join(tmpdir(), 'attrib-readme-'));

/** Runs a command in `cwd`, echoing what it runs; returns its stdout (its exit status is the caller's to judge). */
function run(command, args, cwd = root, env = {}) {
  console.error(
    `$ (cd ${cwd.replace(root, '.') || '.'} && ${[command.replace(root + '/', ''), ...args].join(' ')})`,
  );
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    // An `undefined` value removes the variable (an empty ATTRIB_BACKENDS would select no backend).
    env: Object.fromEntries(Object.entries({ ...process.env, ...env }).filter(([, v]) => v !== undefined)),
  });
  if (result.error) throw result.error;
  return result.stdout;
}

/** Rows, each [check, result], per section. */
const rows = { conformance: [], tests: [], bench: [] };

if (only.includes('conformance')) {
  for (const backend of ['cpu', 'wasm']) {
    const report = join(work, `conformance-${backend}.json`);
    run(tsx, [
      '--conditions=@attrib/source',
      'tooling/conformance/src/cli.ts',
      '--backend',
      backend,
      '--report',
      report,
    ]);
    if (!existsSync(report)) {
      rows.conformance.push([
        `conformance, ${backend}`,
        'the runner wrote no report (it crashed: run it to see why)',
      ]);
      continue;
    }
    const { cases, models } = JSON.parse(readFileSync(report, 'utf8'));
    const count = (status) => cases.filter((c) => c.status === status).length;
    const bad = cases.filter((c) => c.status === 'fail' || c.status === 'error');
    const modelsOk = models.filter((m) => m.status === 'pass').length;
    const shown = bad
      .slice(0, 3)
      .map((c) => `${c.id}: ${c.message.slice(0, 140)}`)
      .join('; ');
    rows.conformance.push([
      `conformance, ${backend}`,
      `${count('pass')} passed, ${bad.length} failed, ${count('skipped')} skipped; ${modelsOk}/${models.length} models reproduce \`expected.output\`` +
        (bad.length ? ` — ${shown}${bad.length > 3 ? `; … ${bad.length - 3} more` : ''}` : ''),
    ]);
  }
}

if (only.includes('tests')) {
  const jest = join(root, 'node_modules', 'jest', 'bin', 'jest.js');
  const dirs = ['packages', 'apps', 'tooling'].flatMap((group) =>
    readdirSync(join(root, group))
      .map((name) => join(root, group, name))
      .filter((dir) => existsSync(join(dir, 'jest.config.cjs'))),
  );
  const total = {
    tests: 0,
    passed: 0,
    failed: 0,
    skipped: 0,
    files: 0,
    wasmTests: 0,
    wasmFiles: 0,
    crashed: [],
  };
  for (const dir of dirs) {
    const out = join(work, `jest-${dir.split('/').slice(-2).join('-')}.json`);
    // Both backends: ATTRIB_BACKENDS (which would skip suites) is removed for the run.
    run(process.execPath, [jest, '--json', '--outputFile', out, '--passWithNoTests'], dir, {
      ATTRIB_BACKENDS: undefined,
    });
    if (!existsSync(out)) {
      total.crashed.push(dir.replace(root + '/', ''));
      continue;
    }
    const result = JSON.parse(readFileSync(out, 'utf8'));
    total.tests += result.numTotalTests;
    total.passed += result.numPassedTests;
    total.failed += result.numFailedTests + result.numRuntimeErrorTestSuites;
    total.skipped += result.numPendingTests + result.numTodoTests;
    total.files += result.numTotalTestSuites;
    for (const file of result.testResults) {
      const wasm = file.assertionResults.filter(
        (t) => t.status !== 'pending' && t.fullName.includes('[wasm]'),
      );
      total.wasmTests += wasm.length;
      if (wasm.length) total.wasmFiles++;
    }
  }
  rows.tests.push([
    'tests (jest, cpu and wasm)',
    `${total.tests} in ${total.files} files across ${dirs.length} packages: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped; ${total.wasmTests} ran on wasm (in ${total.wasmFiles} of ${total.files} files)` +
      (total.crashed.length ? `; jest crashed in ${total.crashed.join(', ')}` : ''),
  ]);
}

if (only.includes('bench') && benchSuites.length) {
  const out = run(tsx, [
    '--conditions=@attrib/source',
    'tooling/bench/src/cli.ts',
    '--suite',
    ...benchSuites,
    '--backend',
    'wasm',
    'cpu',
    ...(quick ? ['--quick'] : []),
  ]);
  // The bench prints `## suite [backend] — …`, then per group a 2-space line and 4-space case lines
  // ending in `<ms> ms <ratio>x`; the first case of a group is its baseline.
  let suite = '';
  let group = '';
  let baseline = '';
  for (const line of out.split('\n')) {
    const header = /^## (\S+) \[(\w+)\]/.exec(line);
    const row = /^ {4}(.+?)\s+([\d.]+) ms\s+([\d.]+)x$/.exec(line);
    if (header) suite = `${header[1]} [${header[2]}]`;
    else if (/^ {2}\S/.test(line)) [group, baseline] = [line.trim(), ''];
    else if (row && !baseline) baseline = row[1].trim();
    else if (row)
      rows.bench.push([
        `bench ${suite}, ${group}: ${row[1].trim()} / ${baseline}`,
        `${Number(row[3]).toFixed(2)}×`,
      ]);
  }
  if (!rows.bench.length)
    rows.bench.push([`bench ${benchSuites.join(', ')}`, 'no figures (the bench failed: run it to see why)']);
}

const readme = readFileSync(readmePath, 'utf8');
const [before, rest] = readme.split(START);
if (rest === undefined || !rest.includes(END)) throw new Error(`README.md has no ${START} … ${END} region`);
const [oldTable, after] = rest.split(END);
// Keep the rows of sections not run this time.
const previous = oldTable
  .split('\n')
  .filter((line) => line.startsWith('| ') && !line.startsWith('| check') && !line.startsWith('| ---'));
const sectionOf = (check) =>
  check.startsWith('conformance') ? 'conformance' : check.startsWith('tests') ? 'tests' : 'bench';
for (const line of previous) {
  const [check, result] = line.slice(2, -2).split(' | ');
  if (!only.includes(sectionOf(check)) || (sectionOf(check) === 'bench' && !benchSuites.length)) {
    rows[sectionOf(check)].push([check, result]);
  }
}
const commit = run('git', ['rev-parse', '--short', 'HEAD']).trim();
const table = [
  '',
  `Generated by \`pnpm readme:table\` (tooling/readme/readme-table.mjs) at commit ${commit}; the bench rows are ratios timed in one process${quick ? ' (--quick)' : ''}.`,
  '',
  '| check | result |',
  '| --- | --- |',
  ...[...rows.conformance, ...rows.tests, ...rows.bench].map(
    ([check, result]) => `| ${check} | ${result.replaceAll('|', '\\|')} |`,
  ),
  '',
].join('\n');
writeFileSync(readmePath, `${before}${START}${table}${END}${after}`);
// The check in .ci/run (prettier --check .) covers the README: format what was written.
run(join(root, 'node_modules', '.bin', 'prettier'), ['--write', 'README.md']);
rmSync(work, { recursive: true, force: true });
console.error(`README.md: ${rows.conformance.length + rows.tests.length + rows.bench.length} rows written`);
