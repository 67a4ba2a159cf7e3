import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { ConformanceAdapter, Graph } from '@attrib/core';
import { compareValues } from './compare.js';
import {
  expectedFields,
  isJsonTensor,
  listFixtures,
  readFixture,
  toleranceFor,
  type Fixture,
} from './fixtures.js';
import { foldedNodeConflicts, foldedNodes, type FoldedNode } from './folded-nodes.js';
import { modelLoaders, type ModelFormat } from './model-formats.js';

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
  /** 'skipped': the fixtures hold no file of this model in the requested format. */
  status: 'pass' | 'fail' | 'skipped';
  maxAbsError: number;
  message?: string;
}

export interface ConformanceReport {
  models: ModelReport[];
  cases: CaseReport[];
}

export interface RunOptions {
  fixtures: string;
  filter?: string;
  adapters: ReadonlyMap<string, ConformanceAdapter>;
  /** Which file of each model to load (`models/<id>.json`, `.onnx`, `.layers/model.json`); default 'attrib'. */
  modelFormat?: ModelFormat;
  onCase?: (report: CaseReport) => void;
}

function tensorFrom(json: { shape: number[]; data: number[] }): tf.Tensor {
  return tf.tensor(Float32Array.from(json.data), json.shape);
}

/** The case's inputs in the dtype the model declares (token ids are int32). */
function inputsFor(model: Graph, fixture: Fixture): tf.Tensor {
  const { shape, data } = fixture.inputs;
  return model.inputs[0].dtype === 'int32'
    ? tf.tensor(Int32Array.from(data), shape, 'int32')
    : tensorFrom(fixture.inputs);
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
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v)]));
    return value;
  };
  return convert(options) as Record<string, unknown>;
}

function checkModelOutput(model: Graph, fixture: Fixture): { ok: boolean; maxAbsError: number } {
  const expected = fixture.expected.output as { shape: number[]; data: number[] } | undefined;
  if (!expected) return { ok: true, maxAbsError: 0 };
  const inputs = inputsFor(model, fixture);
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

/** Runs one case; `notCompared` fields are left out (an imported file lacks their node) and listed in the message. */
async function runCase(
  model: Graph,
  fixture: Fixture,
  adapter: ConformanceAdapter,
  notCompared: ReadonlySet<string>,
): Promise<Omit<CaseReport, 'id' | 'library' | 'method' | 'model'>> {
  const before = tf.memory().numTensors;
  const owned: tf.Tensor[] = [];
  let results: Record<string, tf.Tensor> = {};
  try {
    const inputs = inputsFor(model, fixture);
    owned.push(inputs);
    const options = convertOptions(fixture.options ?? {}, owned);
    results = await adapter.run(model, {
      id: fixture.id,
      library: fixture.library,
      method: fixture.method,
      model: fixture.model,
      inputs,
      options,
      raw: fixture as unknown as Record<string, unknown>,
    });
    let maxAbsError = 0;
    let maxRelError = 0;
    const problems: string[] = [];
    const skippedFields: string[] = [];
    for (const [field, expected] of expectedFields(fixture.expected)) {
      if (notCompared.has(field)) {
        skippedFields.push(field);
        continue;
      }
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
        problems.push(
          `'${field}'[${index}] = ${a}, expected ${e} (atol ${tolerance.atol}, max |err| ${comparison.maxAbsError.toExponential(3)})`,
        );
      }
    }
    tf.dispose(Object.values(results));
    tf.dispose(owned);
    const leaked = tf.memory().numTensors - before;
    if (leaked !== 0) problems.push(`${leaked} tensor(s) leaked`);
    const note = skippedFields.length
      ? `not compared (folded in this model file): ${skippedFields.join(', ')}`
      : '';
    return {
      status: problems.length ? 'fail' : 'pass',
      maxAbsError,
      maxRelError,
      message: [...problems, note].filter(Boolean).join('; '),
    };
  } catch (error) {
    tf.dispose(Object.values(results));
    tf.dispose(owned);
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { status: 'error', maxAbsError: null, maxRelError: null, message };
  }
}

/** Runs every case under `fixtures` (optionally only ids containing `filter`) and checks every model. */
export async function runConformance({
  fixtures,
  filter,
  adapters,
  modelFormat = 'attrib',
  onCase,
}: RunOptions): Promise<ConformanceReport> {
  const entries = listFixtures(fixtures);
  const loader = modelLoaders[modelFormat];
  type Loaded = { graph: Graph; folded: FoldedNode[] } | { skipped: string };
  const models = new Map<string, Loaded>();
  const modelFor = async (id: string): Promise<Loaded> => {
    if (!models.has(id)) {
      const file = loader.file(id);
      const path = join(fixtures, 'models', file);
      if (!existsSync(path))
        models.set(id, { skipped: `no models/${file}: this model has no ${modelFormat} file` });
      else {
        const graph = await loader.load(path);
        // An imported file may lack nodes its exporter folded away; the attrib model says which.
        const referencePath = join(fixtures, 'models', modelLoaders.attrib.file(id));
        const folded =
          modelFormat !== 'attrib' && existsSync(referencePath)
            ? foldedNodes(await modelLoaders.attrib.load(referencePath), graph)
            : [];
        models.set(id, { graph, folded });
      }
    }
    return models.get(id)!;
  };
  const modelChecks = new Map<string, ModelReport>();
  const cases: CaseReport[] = [];
  for (const entry of entries) {
    const fixture = readFixture(fixtures, entry);
    const loaded = await modelFor(entry.model);
    const base = { id: entry.id, library: entry.library, method: entry.method, model: entry.model };
    const skip = (message: string): CaseReport => ({
      ...base,
      status: 'skipped',
      maxAbsError: null,
      maxRelError: null,
      message,
    });
    if ('skipped' in loaded) {
      modelChecks.set(entry.model, {
        id: entry.model,
        status: 'skipped',
        maxAbsError: 0,
        message: loaded.skipped,
      });
      if (filter && !entry.id.includes(filter)) continue;
      cases.push(skip(loaded.skipped));
      onCase?.(cases[cases.length - 1]);
      continue;
    }
    const model = loaded.graph;
    const check = checkModelOutput(model, fixture);
    const sofar = modelChecks.get(entry.model) ?? {
      id: entry.model,
      status: 'pass' as const,
      maxAbsError: 0,
    };
    modelChecks.set(entry.model, {
      id: entry.model,
      status: sofar.status === 'fail' || !check.ok ? 'fail' : 'pass',
      maxAbsError: Math.max(sofar.maxAbsError, check.maxAbsError),
    });
    if (filter && !entry.id.includes(filter)) continue;
    const adapter = adapters.get(`${entry.library}/${entry.method}`);
    const conflicts = foldedNodeConflicts(loaded.folded, fixture);
    const report: CaseReport = !adapter
      ? skip(`no method registered for ${entry.library}/${entry.method}`)
      : conflicts.skip
        ? skip(`${modelFormat}: ${conflicts.skip}`)
        : { ...base, ...(await runCase(model, fixture, adapter, conflicts.notCompared)) };
    cases.push(report);
    onCase?.(report);
  }
  return { models: [...modelChecks.values()], cases };
}
