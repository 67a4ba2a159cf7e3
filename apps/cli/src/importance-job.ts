import { clusterNeuronImportance, type ClusterImportance } from '@attrib/gradients';
import { INFORMATIVE_FEATURE, TOWER_COUNT, trainTower3, type TrainTower3Options } from '@attrib/toy-models';

export const AGGREGATES = ['mean', 'meanAbs', 'meanGradXAct'] as const;
export type Aggregate = (typeof AGGREGATES)[number];

export interface TowerImportance {
  /** The tower's linear node (pre-activation), e.g. 'tower1'. */
  readonly tower: string;
  /** Sum over the tower's units of each per-unit aggregate. */
  readonly importance: Readonly<Record<Aggregate, number>>;
}

export interface ImportanceReport {
  readonly seed: number;
  readonly accuracy: number;
  readonly samples: number;
  readonly towers: readonly TowerImportance[];
  /** Towers by |importance|, most important first, per aggregate. */
  readonly ranking: Readonly<Record<Aggregate, readonly string[]>>;
  /** The tower reading the feature the label depends on. */
  readonly informativeTower: string;
  /** Whether it ranks first by mean |g| — the aggregate signs cannot cancel in. */
  readonly informativeFirst: boolean;
}

const sum = (values: Float64Array) => values.reduce((a, b) => a + b, 0);

/**
 * Trains the 3-tower toy model from `seed` and scores each tower's pre-activation units by the
 * gradient of the correct-class logit, over the whole training set as one cluster.
 */
export async function runImportanceJob({
  seed = 0,
  steps,
  onStep,
}: Pick<TrainTower3Options, 'seed' | 'steps' | 'onStep'> = {}): Promise<ImportanceReport> {
  const trained = trainTower3({ seed, steps, onStep });
  try {
    const towers: TowerImportance[] = [];
    for (let t = 0; t < TOWER_COUNT; t++) {
      const tower = `tower${t}`;
      const { all }: Record<string, ClusterImportance> = await clusterNeuronImportance(trained.model, {
        layer: tower,
        clusters: { all: { inputs: trained.inputs, targets: trained.labels } },
      });
      towers.push({
        tower,
        importance: { mean: sum(all.mean), meanAbs: sum(all.meanAbs), meanGradXAct: sum(all.meanGradXAct) },
      });
    }
    const rank = (aggregate: Aggregate) =>
      [...towers]
        .sort((a, b) => Math.abs(b.importance[aggregate]) - Math.abs(a.importance[aggregate]))
        .map((t) => t.tower);
    const ranking = Object.fromEntries(AGGREGATES.map((a) => [a, rank(a)])) as Record<Aggregate, string[]>;
    const informativeTower = `tower${INFORMATIVE_FEATURE}`;
    return {
      seed,
      accuracy: trained.accuracy,
      samples: trained.labels.length,
      towers,
      ranking,
      informativeTower,
      informativeFirst: ranking.meanAbs[0] === informativeTower,
    };
  } finally {
    trained.dispose();
  }
}
