import { Matrix, SingularValueDecomposition } from 'ml-matrix';

export interface LinearFitOptions {
  /** Penalty on the coefficients (never the intercept): none, ridge (L2) or lasso (L1). */
  readonly penalty?: 'none' | 'l2' | 'l1';
  readonly alpha?: number;
}

export interface LinearFit {
  readonly coefficients: Float64Array;
  readonly intercept: number;
}

/**
 * Weighted linear regression with an intercept: rows of `design` ([rows × features]), targets `y`,
 * sample weights `w`. Objectives (W = Σw): none / l2 minimise Σ w·r² + α‖β‖², l1 minimises
 * Σ w·r² / (2W) + α‖β‖₁ (scikit-learn's Lasso). Unpenalised fits return the minimum-norm solution when
 * features are collinear (as a least-squares solver does), so a feature never varied gets 0.
 */
export function fitLinear(
  design: Float64Array,
  rows: number,
  features: number,
  y: Float64Array,
  w: Float64Array,
  options: LinearFitOptions = {},
): LinearFit {
  const penalty = options.penalty ?? 'none';
  const alpha = options.alpha ?? 0;
  let total = 0;
  for (let r = 0; r < rows; r++) total += w[r];
  // Centring by the weighted means removes the intercept from the problem (it is never penalised).
  const xMean = new Float64Array(features);
  let yMean = 0;
  for (let r = 0; r < rows; r++) {
    yMean += (w[r] * y[r]) / total;
    for (let j = 0; j < features; j++) xMean[j] += (w[r] * design[r * features + j]) / total;
  }
  const coefficients =
    penalty === 'l1'
      ? lasso(design, rows, features, y, w, xMean, yMean, total, alpha)
      : leastSquares(design, rows, features, y, w, xMean, yMean, penalty === 'l2' ? alpha : 0);
  let intercept = yMean;
  for (let j = 0; j < features; j++) intercept -= xMean[j] * coefficients[j];
  return { coefficients, intercept };
}

function leastSquares(
  design: Float64Array,
  rows: number,
  features: number,
  y: Float64Array,
  w: Float64Array,
  xMean: Float64Array,
  yMean: number,
  alpha: number,
): Float64Array {
  const extra = alpha > 0 ? features : 0;
  const a = new Matrix(rows + extra, features);
  const b = new Matrix(rows + extra, 1);
  for (let r = 0; r < rows; r++) {
    const s = Math.sqrt(w[r]);
    for (let j = 0; j < features; j++) a.set(r, j, s * (design[r * features + j] - xMean[j]));
    b.set(r, 0, s * (y[r] - yMean));
  }
  for (let j = 0; j < extra; j++) a.set(rows + j, j, Math.sqrt(alpha));
  return minimumNormSolution(a, b);
}

/**
 * The minimum-norm least-squares solution of a·x ≈ b (the pseudo-inverse, as numpy's lstsq): singular
 * values below 1e-10 of the largest count as zero. Handles fewer rows than columns (fewer coalitions
 * than groups: the SVD runs on the transpose) and rank deficiency: centring makes the weighted rows sum
 * to zero, so with rows ≤ columns one singular value is zero up to rounding, and dividing by that
 * rounding would blow the solution up.
 */
function minimumNormSolution(a: Matrix, b: Matrix): Float64Array {
  const svd = new SingularValueDecomposition(a, { autoTranspose: true });
  const singular = svd.diagonal;
  const cutoff = 1e-10 * Math.max(0, ...singular);
  const u = svd.leftSingularVectors;
  const v = svd.rightSingularVectors;
  const x = new Float64Array(a.columns);
  singular.forEach((s, k) => {
    if (!(s > cutoff)) return;
    let projection = 0;
    for (let r = 0; r < a.rows; r++) projection += u.get(r, k) * b.get(r, 0);
    for (let j = 0; j < a.columns; j++) x[j] += (v.get(j, k) * projection) / s;
  });
  return x;
}

function lasso(
  design: Float64Array,
  rows: number,
  features: number,
  y: Float64Array,
  w: Float64Array,
  xMean: Float64Array,
  yMean: number,
  total: number,
  alpha: number,
): Float64Array {
  const beta = new Float64Array(features);
  const residual = new Float64Array(rows);
  for (let r = 0; r < rows; r++) residual[r] = y[r] - yMean;
  const column = (r: number, j: number) => design[r * features + j] - xMean[j];
  const scale = new Float64Array(features);
  for (let j = 0; j < features; j++)
    for (let r = 0; r < rows; r++) scale[j] += (w[r] * column(r, j) ** 2) / total;
  for (let sweep = 0; sweep < 10000; sweep++) {
    let largest = 0;
    for (let j = 0; j < features; j++) {
      if (scale[j] === 0) continue;
      let rho = 0;
      for (let r = 0; r < rows; r++)
        rho += (w[r] * column(r, j) * (residual[r] + column(r, j) * beta[j])) / total;
      const next = (Math.sign(rho) * Math.max(Math.abs(rho) - alpha, 0)) / scale[j];
      const change = next - beta[j];
      if (change !== 0) {
        for (let r = 0; r < rows; r++) residual[r] -= column(r, j) * change;
        beta[j] = next;
        largest = Math.max(largest, Math.abs(change));
      }
    }
    if (largest < 1e-12) break;
  }
  return beta;
}
