import { InvalidArgumentError, invalidArgument } from './errors.js';

/** Edit distance (insertions, deletions, substitutions), for "did you mean". */
function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0];
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j];
      previous[j] = Math.min(
        previous[j] + 1,
        previous[j - 1] + 1,
        diagonal + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1),
      );
      diagonal = above;
    }
  }
  return previous[b.length];
}

/** `; did you mean 'nSteps'?` for the closest known name within a third of its length, else ''. */
export function suggestion(name: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  const close = best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 3));
  return close ? `; did you mean '${best}'?` : '';
}

export interface OptionRules {
  /** Keys whose value must be a boolean when present (`'false'` is refused, not truthy). */
  readonly booleans?: readonly string[];
  /** Deprecated names and what they now are: `{ neuronSelector: 'neuron' }`. */
  readonly aliases?: Readonly<Record<string, string>>;
  /**
   * The function cannot run without options: leaving them out is an error naming `'options'`, or the
   * key given here (`'layer'`), which is what is missing.
   */
  readonly required?: boolean | string;
}

/**
 * The options object of `fn`, checked: an object (or nothing: `{}`), no key outside `known` (a typed
 * `unknown-option` error naming the key and the function, with "did you mean"), booleans that are
 * booleans. Deprecated aliases are renamed to the current key (both at once is an error).
 */
export function checkOptions<O extends object>(
  fn: string,
  options: O | null | undefined,
  known: readonly string[],
  rules: OptionRules = {},
): O {
  if (options === undefined || options === null) {
    if (!rules.required) return {} as O;
    if (typeof rules.required === 'string')
      throw invalidArgument(fn, rules.required, `given (in the options object)`, options);
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw invalidArgument(fn, 'options', 'an options object', options);
  const aliases = rules.aliases ?? {};
  let result = options as Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    if (key in aliases) {
      const current = aliases[key];
      if (current in options) {
        throw invalidArgument(
          fn,
          key,
          `left out when '${current}' is given (it is the deprecated name of '${current}')`,
          result[key],
        );
      }
      if (result === options) result = { ...result };
      result[current] = result[key];
      delete result[key];
      continue;
    }
    throw new InvalidArgumentError(
      'unknown-option',
      `Argument 'options' passed to '${fn}' has an unknown key '${key}'${suggestion(key, known) || '.'} ` +
        `It takes ${known.map((k) => `'${k}'`).join(', ')}.`,
    );
  }
  for (const key of rules.booleans ?? []) {
    const value = result[key];
    if (value !== undefined && typeof value !== 'boolean')
      throw invalidArgument(fn, key, 'true or false', value);
  }
  return result as O;
}
