import { AGGREGATES, type Aggregate, type ImportanceReport } from './importance-job.js';

const headings: Record<Aggregate, string> = {
  mean: 'signed mean g',
  meanAbs: 'mean |g|',
  meanGradXAct: 'mean g×a',
};

/** The report as a plain-text table: one row per tower, one column per aggregate, rank in brackets. */
export function formatReport(report: ImportanceReport): string {
  const width = 18;
  const lines = [
    `3-tower toy model, seed ${report.seed}: training accuracy ${(report.accuracy * 100).toFixed(1)}% on ${report.samples} samples`,
    'importance of each tower = sum over its 4 pre-activation units of ∂logit[label]/∂z, averaged over the training set',
    '',
    ['tower'.padEnd(8), ...AGGREGATES.map((a) => headings[a].padStart(width))].join(''),
  ];
  for (const { tower, importance } of report.towers) {
    const cells = AGGREGATES.map((a) =>
      `${importance[a].toFixed(4)} (#${report.ranking[a].indexOf(tower) + 1})`.padStart(width),
    );
    const marker = tower === report.informativeTower ? '  ← reads feature 1' : '';
    lines.push([tower.padEnd(8), ...cells].join('') + marker);
  }
  lines.push(
    '',
    `ranks first by mean |g|: ${report.ranking.meanAbs[0]} (expected ${report.informativeTower}) — ${report.informativeFirst ? 'ok' : 'WRONG'}`,
  );
  return lines.join('\n');
}
