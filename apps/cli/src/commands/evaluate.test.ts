import type { NeuronImportanceReport } from '@attrib/metrics';
import { createProgram } from '../program.js';

/** Runs `attrib evaluate …` in-process and returns what it printed to stdout. */
async function evaluate(args: string[]): Promise<string> {
  const printed: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((text: string) => void printed.push(text));
  try {
    await createProgram((p) => p.exitOverride()).parseAsync(['evaluate', '--backend', 'cpu', ...args], {
      from: 'user',
    });
  } finally {
    log.mockRestore();
  }
  expect(process.exitCode ?? 0).toBe(0);
  return printed.join('\n');
}

describe('attrib evaluate', () => {
  it('--json: every cluster and method carries a diagnosis with a verdict and the numbers behind it', async () => {
    const report = JSON.parse(await evaluate(['--seeds', '4', '--json'])) as NeuronImportanceReport;
    expect(Object.keys(report.clusters)).toEqual(['negative', 'positive']);
    for (const cluster of Object.values(report.clusters)) {
      expect(Object.keys(cluster.methods)).toEqual(['gradXAct', 'gradientAbs', 'gradient']);
      for (const method of Object.values(cluster.methods)) {
        const d = method.diagnosis!;
        expect(typeof d.verdict).toBe('string');
        expect(d.verdict.length).toBeGreaterThan(10);
        expect(d.signCancellation!.ratio).toBeGreaterThanOrEqual(0);
        expect(d.signCancellation!.ratio).toBeLessThanOrEqual(1 + 1e-12);
        expect(Object.keys(d.agreement).sort()).toEqual([
          'ablation',
          'activation',
          'gradXAct',
          'gradient',
          'gradientAbs',
        ]);
        expect(Number.isFinite(d.redundancy.together)).toBe(true);
        expect(Number.isFinite(d.redundancy.sumOfSingles)).toBe(true);
        // Four seeds: the corrected p-value is a multiple of 1/5, never 0.
        expect(d.pValue).toBe(method.cluster.accuracy.pValue);
        expect([0.2, 0.4, 0.6, 0.8, 1]).toContain(Number(d.pValue.toFixed(12)));
      }
    }
  }, 120_000);

  it('prints the verdict sentences under the table', async () => {
    const text = await evaluate(['--seeds', '4']);
    const lines = text.split('\n');
    const start = lines.indexOf('Diagnosis');
    expect(start).toBeGreaterThan(0);
    expect(lines[start + 1]).toBe('negative:');
    for (const method of ['gradXAct', 'gradientAbs', 'gradient'])
      expect(lines.filter((l) => l.startsWith(`  ${method}: `))).toHaveLength(2);
  }, 120_000);
});
