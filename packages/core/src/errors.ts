/**
 * Typed errors. Each class carries a marker under `Symbol.for(...)`, so `isInstance` works even when
 * two copies of @attrib/core are installed (instanceof would not).
 */
const attribMarker = Symbol.for('attrib.error');

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value))
    return `[${value.slice(0, 8).map(describeValue).join(', ')}${value.length > 8 ? ', …' : ''}]`;
  const shape = (value as { shape?: unknown }).shape;
  if (Array.isArray(shape)) return `a tensor of shape [${shape.join(', ')}]`;
  if (typeof value === 'function') return 'a function';
  return typeof value;
}

export class AttribError extends Error {
  readonly [attribMarker] = true;
  /** Stable machine-readable code, e.g. `unknown-node`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  static isInstance(error: unknown): error is AttribError {
    return (
      typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[attribMarker] === true
    );
  }
}

function markedSubclass<Code extends string>(markerName: string) {
  const marker = Symbol.for(markerName);
  return class extends AttribError {
    constructor(code: Code, message: string, options?: { cause?: unknown }) {
      super(code, message, options);
      (this as Record<symbol, unknown>)[marker] = true;
    }
    static override isInstance(error: unknown): error is AttribError {
      return (
        typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[marker] === true
      );
    }
  };
}

/**
 * The model itself is malformed: unknown op, missing or cyclic input, weight shapes that disagree, a
 * weights file that does not match its manifest or holds NaN/±∞ (`bad-weights`).
 */
export class GraphError extends markedSubclass<
  | 'unknown-op'
  | 'missing-input'
  | 'cyclic-input'
  | 'duplicate-node'
  | 'weight-shape'
  | 'bad-node'
  | 'bad-weights'
  | 'unknown-output'
>('attrib.error.graph') {}

/** A node name that the graph does not have. */
export class UnknownNodeError extends markedSubclass<'unknown-node'>('attrib.error.unknown-node') {
  constructor(
    readonly nodeName: string,
    readonly known: readonly string[],
    fn: string,
  ) {
    super(
      'unknown-node',
      `${fn}: no node named '${nodeName}'; the graph has ${known.map((n) => `'${n}'`).join(', ')}`,
    );
  }
}

/** A tensor's shape does not fit where it is used (model input, baseline, mask, node at run time). */
export class ShapeMismatchError extends markedSubclass<'shape-mismatch'>('attrib.error.shape') {}

/** Why an argument was refused: `unknown-option` (a misspelled key), `disposed-tensor`, `empty-batch`, … */
export type ArgumentErrorCode =
  | 'invalid-argument'
  | 'target-out-of-range'
  | 'non-finite-input'
  | 'unknown-option'
  | 'disposed-tensor'
  | 'empty-batch'
  | 'integer-input';

/** An argument has the wrong type or value (target out of range, NaN input, bad selector, …). */
export class InvalidArgumentError extends markedSubclass<ArgumentErrorCode>('attrib.error.argument') {}

/**
 * A rule-based method (DeepLift, guided backprop, deconvolution, LRP) met a node whose kind declares no
 * behaviour it has a rule for; it refuses rather than fall back to a silently wrong plain gradient.
 */
export class UnsupportedKindError extends markedSubclass<'unsupported-kind'>(
  'attrib.error.unsupported-kind',
) {
  constructor(
    readonly kind: string,
    readonly method: string,
    readonly nodeName: string,
    reason: string,
  ) {
    super('unsupported-kind', `${method}: node '${nodeName}' has kind '${kind}', ${reason}.`);
  }
}

/** An exception raised inside user code (a hook, rule, canonizer or kind), stamped with where. */
export class PluginError extends markedSubclass<'plugin-failed'>('attrib.error.plugin') {
  constructor(
    readonly plugin: string,
    readonly hook: string,
    readonly nodeName: string | undefined,
    cause: unknown,
  ) {
    const where = nodeName === undefined ? '' : ` at node '${nodeName}'`;
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('plugin-failed', `${plugin} failed in ${hook}${where}: ${reason}`, { cause });
  }
}

/**
 * `Argument 'target' passed to 'saliency' must be an index in [0, 10), but got 12.`
 * The shape of message tfjs-core uses: the argument, the function, what was expected, what arrived.
 */
export function invalidArgument(
  fn: string,
  argument: string,
  expected: string,
  got: unknown,
  code: ArgumentErrorCode = 'invalid-argument',
): InvalidArgumentError {
  return new InvalidArgumentError(
    code,
    `Argument '${argument}' passed to '${fn}' must be ${expected}, but got ${describeValue(got)}.`,
  );
}

export function shapeMismatch(
  fn: string,
  argument: string,
  expected: string,
  got: readonly number[],
): ShapeMismatchError {
  return new ShapeMismatchError(
    'shape-mismatch',
    `Argument '${argument}' passed to '${fn}' must have shape ${expected}, but got shape [${got.join(', ')}].`,
  );
}

/**
 * A model file could not be imported: `unsupported-op` (every op or layer class the importer has no
 * mapping for, listed at once with the node names, before anything runs), `wrong-format` (a file of
 * another format; the message names the package that reads it), `malformed-model`.
 */
export class ModelImportError extends markedSubclass<'unsupported-op' | 'wrong-format' | 'malformed-model'>(
  'attrib.error.model-import',
) {}
