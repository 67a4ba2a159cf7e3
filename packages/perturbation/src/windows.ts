import { invalidArgument } from '@attrib/core';

/**
 * Captum's occlusion windows over a sample of shape `shape`: along each axis, offsets k·stride for
 * k = 0 … ceil((D − w)/s) inclusive, the last window cropped at the edge.
 */
export interface WindowGrid {
  readonly count: number;
  /** Calls `visit` with the flat (row-major) index of every element of window `index`. */
  forEachElement(index: number, visit: (flat: number) => void): void;
}

export function windowGrid(
  shape: readonly number[],
  windowShape: readonly number[],
  strides: readonly number[],
  fn: string,
): WindowGrid {
  const rank = shape.length;
  if (!Array.isArray(windowShape) || windowShape.length !== rank) {
    throw invalidArgument(
      fn,
      'slidingWindowShapes',
      `one window size per non-batch axis (${rank}, for a sample of shape [${shape}])`,
      windowShape,
    );
  }
  if (!Array.isArray(strides) || strides.length !== rank) {
    throw invalidArgument(
      fn,
      'strides',
      `one stride per non-batch axis (${rank}, for a sample of shape [${shape}])`,
      strides,
    );
  }
  windowShape.forEach((w, axis) => {
    if (!Number.isInteger(w) || w < 1 || w > shape[axis]) {
      throw invalidArgument(
        fn,
        'slidingWindowShapes',
        `sizes in [1, ${shape[axis]}] on axis ${axis + 1} (the sample shape is [${shape}])`,
        windowShape,
      );
    }
  });
  strides.forEach((s) => {
    if (!Number.isInteger(s) || s < 1) throw invalidArgument(fn, 'strides', 'positive integers', strides);
  });
  const perAxis = shape.map((d, axis) => Math.ceil((d - windowShape[axis]) / strides[axis]) + 1);
  const count = perAxis.reduce((a, b) => a * b, 1);
  const axisStride = shape.map((_, axis) => shape.slice(axis + 1).reduce((a, b) => a * b, 1));

  const forEachElement = (index: number, visit: (flat: number) => void) => {
    const begin: number[] = [];
    const end: number[] = [];
    let rest = index;
    for (let axis = rank - 1; axis >= 0; axis--) {
      const k = rest % perAxis[axis];
      rest = Math.floor(rest / perAxis[axis]);
      begin[axis] = k * strides[axis];
      end[axis] = Math.min(shape[axis], begin[axis] + windowShape[axis]);
    }
    const walk = (axis: number, offset: number) => {
      if (axis === rank) return visit(offset);
      for (let i = begin[axis]; i < end[axis]; i++) walk(axis + 1, offset + i * axisStride[axis]);
    };
    walk(0, 0);
  };
  return { count, forEachElement };
}
