import { formatReport } from './format-report.js';
import type { ImportanceReport } from './importance-job.js';

const report: ImportanceReport = {
  seed: 5,
  accuracy: 0.975,
  samples: 200,
  towers: [
    { tower: 'tower0', importance: { mean: 0.01, meanAbs: 0.5, meanGradXAct: -0.2 } },
    { tower: 'tower1', importance: { mean: -0.02, meanAbs: 0.4, meanGradXAct: 3 } },
  ],
  ranking: { mean: ['tower1', 'tower0'], meanAbs: ['tower0', 'tower1'], meanGradXAct: ['tower1', 'tower0'] },
  informativeTower: 'tower1',
  informativeFirst: false,
};

describe('formatReport', () => {
  it('prints one row per tower with each aggregate and its rank, and the verdict', () => {
    const lines = formatReport(report).split('\n');
    expect(lines[0]).toBe('3-tower toy model, seed 5: training accuracy 97.5% on 200 samples');
    expect(lines.find((l) => l.startsWith('tower0'))).toMatch(
      /^tower0\s+0\.0100 \(#2\)\s+0\.5000 \(#1\)\s+-0\.2000 \(#2\)$/,
    );
    expect(lines.find((l) => l.startsWith('tower1'))).toMatch(
      /-0\.0200 \(#1\)\s+0\.4000 \(#2\)\s+3\.0000 \(#1\)\s+← reads feature 1$/,
    );
    expect(lines.at(-1)).toBe('ranks first by mean |g|: tower0 (expected tower1) — WRONG');
  });
});
