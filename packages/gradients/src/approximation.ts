import { invalidArgument } from '@attrib/core';

/** How the path integral is approximated (Captum's names; the snake_case spellings are accepted too). */
export type ApproximationMethod =
  'gausslegendre' | 'riemannLeft' | 'riemannRight' | 'riemannMiddle' | 'riemannTrapezoid';

const aliases: Readonly<Record<string, ApproximationMethod>> = {
  gausslegendre: 'gausslegendre',
  riemannLeft: 'riemannLeft',
  riemann_left: 'riemannLeft',
  riemannRight: 'riemannRight',
  riemann_right: 'riemannRight',
  riemannMiddle: 'riemannMiddle',
  riemann_middle: 'riemannMiddle',
  riemannTrapezoid: 'riemannTrapezoid',
  riemann_trapezoid: 'riemannTrapezoid',
};

/** Path points `alphas` in [0, 1] and the weight `stepSizes` of each, both as float32 values. */
export interface Approximation {
  readonly alphas: readonly number[];
  readonly stepSizes: readonly number[];
}

export function resolveMethod(
  method: string | undefined,
  fn: string,
  fallback: ApproximationMethod = 'gausslegendre',
): ApproximationMethod {
  if (method === undefined || method === null) return fallback;
  const resolved = aliases[method];
  if (!resolved)
    throw invalidArgument(
      fn,
      'method',
      `one of ${Object.keys(aliases)
        .map((m) => `'${m}'`)
        .join(', ')}`,
      method,
    );
  return resolved;
}

/**
 * The most path points a call may ask for: Gauss–Legendre nodes cost O(n²) to compute (Newton on the
 * Legendre recurrence, synchronous; about half a second at 10,000 points), Riemann points O(n).
 */
export const MAX_STEPS: Readonly<Record<'gausslegendre' | 'riemann', number>> = {
  gausslegendre: 10_000,
  riemann: 1_000_000,
};

export function checkSteps(
  nSteps: number,
  method: ApproximationMethod,
  fn: string,
  argument = 'nSteps',
): void {
  const least = method === 'gausslegendre' ? 1 : 2;
  const most = method === 'gausslegendre' ? MAX_STEPS.gausslegendre : MAX_STEPS.riemann;
  const hint = method === 'gausslegendre' ? "; a 'riemann…' method takes more" : '';
  if (!Number.isInteger(nSteps) || nSteps < least || nSteps > most)
    throw invalidArgument(fn, argument, `an integer from ${least} to ${most} for '${method}'${hint}`, nSteps);
}

/**
 * Nodes and weights of n-point Gauss–Legendre quadrature on [−1, 1], ascending, in float64: Newton's
 * method on the Legendre polynomial from the Chebyshev-like initial guesses (what numpy's leggauss
 * agrees with to ~1e-16).
 */
export function gaussLegendre(n: number): { nodes: number[]; weights: number[] } {
  checkSteps(n, 'gausslegendre', 'gaussLegendre', 'n');
  const nodes = new Array<number>(n);
  const weights = new Array<number>(n);
  // P_n(x) and P_n'(x) by the three-term recurrence.
  const legendre = (x: number) => {
    let p0 = 1;
    let p1 = x;
    for (let k = 2; k <= n; k++) {
      const next = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
      p0 = p1;
      p1 = next;
    }
    return { value: p1, derivative: (n * (x * p1 - p0)) / (x * x - 1) };
  };
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    for (let iteration = 0; iteration < 100; iteration++) {
      const { value, derivative } = legendre(x);
      const step = value / derivative;
      x -= step;
      // Newton converges quadratically: after a step below 1e-12 the error is below rounding. (Waiting
      // for a step below 1e-16 never ended near ±1, where rounding alone moves x by more.)
      if (Math.abs(step) < 1e-12) break;
    }
    // The weight takes the derivative at the converged root.
    const { derivative } = legendre(x);
    // Symmetric pairs: the root near +1 and its mirror.
    nodes[n - 1 - i] = x;
    nodes[i] = -x;
    weights[i] = weights[n - 1 - i] = 2 / ((1 - x * x) * derivative * derivative);
  }
  return { nodes, weights };
}

/** float32 linspace like torch's (the reference builds riemann alphas with it). */
function linspace(start: number, end: number, n: number): number[] {
  if (n === 1) return [Math.fround(start)];
  const step = (end - start) / (n - 1);
  return Array.from({ length: n }, (_, i) =>
    Math.fround(i < n / 2 ? start + i * step : end - (n - 1 - i) * step),
  );
}

/**
 * Captum's `approximation_parameters`: alphas and step sizes for `nSteps` points of `method` (Captum's
 * names or snake_case). Riemann rules need at least 2 points (as Captum asserts); too few or too many
 * points, or an unknown method, are typed errors naming the argument.
 */
export function approximation(method: ApproximationMethod, nSteps: number): Approximation {
  const fn = 'approximation';
  const resolved = resolveMethod(method, fn);
  checkSteps(nSteps, resolved, fn);
  return schedule(resolved, nSteps);
}

/** The alphas and step sizes, for a method and a count already checked. */
function schedule(method: ApproximationMethod, nSteps: number): Approximation {
  if (method === 'gausslegendre') {
    const { nodes, weights } = gaussLegendre(nSteps);
    return {
      alphas: nodes.map((x) => Math.fround(0.5 * (1 + x))),
      stepSizes: weights.map((w) => Math.fround(0.5 * w)),
    };
  }
  const n = nSteps;
  const stepSizes = new Array<number>(n).fill(1 / n);
  if (method === 'riemannTrapezoid') stepSizes[0] = stepSizes[n - 1] = 1 / n / 2;
  const alphas =
    method === 'riemannTrapezoid'
      ? linspace(0, 1, n)
      : method === 'riemannLeft'
        ? linspace(0, 1 - 1 / n, n)
        : method === 'riemannMiddle'
          ? linspace(1 / (2 * n), 1 - 1 / (2 * n), n)
          : linspace(1 / n, 1, n);
  return { alphas, stepSizes: stepSizes.map(Math.fround) };
}

/**
 * The path of a call: its method (default gausslegendre, or `fallback`), `nSteps` (default 50), checked,
 * and the alphas and step sizes. `extraPoint` asks for n+1 points, as Captum's conductance evaluates.
 */
export function pathSchedule(
  options: { readonly method?: string; readonly nSteps?: number },
  fn: string,
  {
    fallback = 'gausslegendre',
    extraPoint = false,
  }: { fallback?: ApproximationMethod; extraPoint?: boolean } = {},
): Approximation {
  const method = resolveMethod(options.method, fn, fallback);
  const nSteps = options.nSteps ?? 50;
  checkSteps(nSteps, method, fn);
  return schedule(method, extraPoint ? nSteps + 1 : nSteps);
}
