import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface Tolerance {
  atol: number;
  rtol: number;
}

export interface FixtureEntry {
  id: string;
  library: string;
  method: string;
  model: string;
  file: string;
}

export interface Fixture {
  id: string;
  library: string;
  method: string;
  model: string;
  options: Record<string, unknown>;
  inputs: { shape: number[]; data: number[] };
  expected: Record<string, unknown>;
  tolerance: Tolerance & { perField?: Record<string, Tolerance> };
}

/** Cases listed by INDEX.json, or found by walking `cases/` when there is no index. */
export function listFixtures(root: string): FixtureEntry[] {
  const indexFile = join(root, 'INDEX.json');
  if (existsSync(indexFile)) {
    const index = JSON.parse(readFileSync(indexFile, 'utf8')) as { cases: FixtureEntry[] };
    return index.cases;
  }
  const entries: FixtureEntry[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.json')) {
        const fixture = JSON.parse(readFileSync(path, 'utf8')) as Fixture;
        entries.push({
          id: fixture.id,
          library: fixture.library ?? (fixture as any).reference?.library,
          method: fixture.method,
          model: fixture.model,
          file: relative(root, path),
        });
      }
    }
  };
  walk(join(root, 'cases'));
  return entries;
}

export function readFixture(root: string, entry: FixtureEntry): Fixture {
  const fixture = JSON.parse(readFileSync(join(root, entry.file), 'utf8'));
  return { ...fixture, library: entry.library };
}

export function isJsonTensor(value: unknown): value is { shape: number[]; data: number[] } {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as any).shape) &&
    Array.isArray((value as any).data)
  );
}

/** Expected fields as flat `name` / `parent/child` → JSON tensor, without the model output. */
export function expectedFields(
  expected: Record<string, unknown>,
): Map<string, { shape: number[]; data: number[] }> {
  const fields = new Map<string, { shape: number[]; data: number[] }>();
  for (const [name, value] of Object.entries(expected)) {
    if (name === 'output') continue;
    if (isJsonTensor(value)) fields.set(name, value);
    else if (value && typeof value === 'object') {
      for (const [child, inner] of Object.entries(value))
        if (isJsonTensor(inner)) fields.set(`${name}/${child}`, inner);
    }
  }
  return fields;
}

export function toleranceFor(fixture: Fixture, field: string): Tolerance {
  return (
    fixture.tolerance.perField?.[field] ?? { atol: fixture.tolerance.atol, rtol: fixture.tolerance.rtol }
  );
}
