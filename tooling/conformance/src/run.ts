import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadModel, type ConformanceAdapter, type Graph } from '@attrib/core';
import { compareValues } from './compare.js';
import { expectedFields, isJsonTensor, listFixtures, readFixture, toleranceFor, type Fixture } from './fixtures.js';

export type CaseStatus = 'pass' | 'fail' | 'skipped' | 'error';

export interface CaseReport {
  id: string;
  library: string;
  method: string;
  model: string;
  status: CaseStatus;
  maxAbsError: number | null;
  maxRelError: number | null;
  message: string;
}

export interface ModelReport {
  id: string;
  status: 'pass' | 'fail';
  maxAbsError: number;
}

export interface ConformanceReport {
  models: ModelReport[];
  cases: CaseReport[];
}

export interface RunOptions {
  fixtures: string;
  filter?: string;
  adapters: ReadonlyMap<string, ConformanceAdapter>;
  onCase?: (report: CaseReport) => void;
}

function tensorFrom(json: { shape: number[]; data: number[] }): tf.Tensor {
  return tf.tensor(Float32Array.from(json.data), json.shape);
}

/** Options with every `{shape, data}` turned into a float32 tensor (collected in `owned`). */
function convertOptions(options: Record<string, unknown>, owned: tf.Tensor[]): Record<string, unknown> {
  const convert = (value: unknown): unknown => {
    if (isJsonTensor(value)) {
      const tensor = tensorFrom(value);
      owned.push(tensor);
      return tensor;
    }
    if (Array.isArray(value)) return value.map(convert);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v)]));
    return value;
  };
  return convert(options) as Record<string, unknown>;
}

function checkModelOutput(model: Graph, fixture: Fixture): { ok: boolean; maxAbsError: number } {
  const expected = fixture.expected.output as { shape: number[]; data: number[] } | undefined;
  if (!expected) return { ok: true, maxAbsError: 0 };
  const inputs = tensorFrom(fixture.inputs);
  try {
    const output = model.run(inputs);
    const actual = output.dataSync();
    const sameShape = output.shape.join() === expected.shape.join();
    output.dispose();
    const comparison = compareValues(actual, expected.data, toleranceFor(fixture, 'output'));
    return { ok: sameShape && comparison.ok, maxAbsError: comparison.maxAbsError };
  } finally {
    inputs.dispose();
  }
}

async function runCase(model: Graph, fixture: Fixture, adapter: ConformanceAdapter): Promise<Omit<CaseReport, 'id' | 'library' | 'method' | 'model'>> {
  const before = tf.memory().numTensors;
  const owned: tf.Tensor[] = [];
  let results: Record<string, tf.Tensor> = {};
  try {
    const inputs = tensorFrom(fixture.inputs);
    owned.push(inputs);
    const options = convertOptions(fixture.options ?? {}, owned);
    results = await adapter.run(model, { id: fixture.id, library: fixture.library, method: fixture.method, model: fixture.model, inputs, options, raw: fixture as unknown as Record<string, unknown> });
    let maxAbsError = 0;
    let maxRelError = 0;
    const problems: string[] = [];
    for (const [field, expected] of expectedFields(fixture.expected)) {
      const actual = results[field];
      if (!actual) {
        problems.push(`no '${field}' returned`);
        continue;
      }
      if (actual.shape.join() !== expected.shape.join()) {
        problems.push(`'${field}' has shape [${actual.shape}], expected [${expected.shape}]`);
        continue;
      }
      const tolerance = toleranceFor(fixture, field);
      const comparison = compareValues(actual.dataSync(), expected.data, tolerance);
      maxAbsError = Math.max(maxAbsError, comparison.maxAbsError);
      maxRelError = Math.max(maxRelError, comparison.maxRelError);
      if (comparison.worst) {
        const { index, actual: a, expected: e } = comparison.worst;
        problems.push(`'${field}'[${index}] = ${a}, expected ${e} (atol ${tolerance.atol}, max |err| ${comparison.maxAbsError.toExponential(3)})`);
      }
    }
    tf.dispose(Object.values(results));
    tf.dispose(owned);
    const leaked = tf.memory().numTensors - before;
    if (leaked !== 0) problems.push(`${leaked} tensor(s) leaked`);
    return { status: problems.length ? 'fail' : 'pass', maxAbsError, maxRelError, message: problems.join('; ') };
  } catch (error) {
    tf.dispose(Object.values(results));
    tf.dispose(owned);
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { status: 'error', maxAbsError: null, maxRelError: null, message };
  }
}

/** Runs every case under `fixtures` (optionally only ids containing `filter`) and checks every model. */
export async function runConformance({ fixtures, filter, adapters, onCase }: RunOptions): Promise<ConformanceReport> {
  const entries = listFixtures(fixtures);
  const models = new Map<string, Graph>();
  const modelFor = (id: string) => {
    if (!models.has(id)) models.set(id, loadModel(JSON.parse(readFileSync(join(fixtures, 'models', `${id}.json`), 'utf8'))));
    return models.get(id)!;
  };
  const modelChecks = new Map<string, ModelReport>();
  const cases: CaseReport[] = [];
  for (const entry of entries) {
    const fixture = readFixture(fixtures, entry);
    const model = modelFor(entry.model);
    const check = checkModelOutput(model, fixture);
    const sofar = modelChecks.get(entry.model) ?? { id: entry.model, status: 'pass' as const, maxAbsError: 0 };
    modelChecks.set(entry.model, { id: entry.model, status: sofar.status === 'fail' || !check.ok ? 'fail' : 'pass', maxAbsError: Math.max(sofar.maxAbsError, check.maxAbsError) });
    if (filter && !entry.id.includes(filter)) continue;
    const adapter = adapters.get(`${entry.library}/${entry.method}`);
    const base = { id: entry.id, library: entry.library, method: entry.method, model: entry.model };
    const report: CaseReport = adapter
      ? { ...base, ...(await runCase(model, fixture, adapter)) }
      : { ...base, status: 'skipped', maxAbsError: null, maxRelError: null, message: 'no method registered' };
    cases.push(report);
    onCase?.(report);
  }
  return { models: [...modelChecks.values()], cases };
}
