#!/usr/bin/env node
// Copies the public reference fixtures from a checkout of the shared folder (default: ../shared beside
// the repository) into fixtures/, byte for byte, and lists what was added, changed or removed. The
// fixtures live in the repository so that a fresh clone tests and runs conformance on its own; this
// script is the only way they change (they are never edited by hand).
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const fromArg = process.argv.indexOf('--from');
const source = fromArg > 0 ? resolve(process.argv[fromArg + 1]) : resolve(root, '..', 'shared');
const sets = ['conformance', 'conformance-text'];

/** Every file under `dir`, as paths relative to it (an absent folder has none). */
function files(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(dir, path));
    }
  };
  walk(dir);
  return out.sort();
}

let changes = 0;
for (const set of sets) {
  const from = join(source, set);
  const to = join(root, 'fixtures', set);
  if (!existsSync(from)) {
    console.error(
      `refresh-fixtures: ${from} does not exist (pass --from <folder holding ${sets.join(', ')}>)`,
    );
    process.exit(1);
  }
  const wanted = new Set(files(from));
  for (const file of files(to)) {
    if (!wanted.has(file)) {
      rmSync(join(to, file));
      console.log(`removed  ${set}/${file}`);
      changes++;
    }
  }
  for (const file of wanted) {
    const target = join(to, file);
    const before = existsSync(target) ? readFileSync(target) : undefined;
    const after = readFileSync(join(from, file));
    if (before?.equals(after)) continue;
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(join(from, file), target);
    console.log(`${before ? 'changed' : 'added  '}  ${set}/${file}`);
    changes++;
  }
}
console.log(
  changes
    ? `refresh-fixtures: ${changes} file(s) updated from ${source}`
    : `refresh-fixtures: up to date with ${source}`,
);
