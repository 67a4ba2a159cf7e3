import { AttributeType, type OnnxGraphProto, type OnnxNodeProto } from './schema.js';
import { tensorFromProto } from './tensor.js';

/**
 * Exporters write some modules as chains of primitive ops: torch's GELU (before opset 20) as
 * `x·0.5·(1 + erf(x/√2))` or, approximated, `x·0.5·(1 + tanh(√(2/π)(x + 0.044715x³)))`, its LayerNorm (before opset 17) as ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/
 * Div/Mul/Add. Those chains are rewritten into the op they stand for (Gelu, LayerNormalization), named
 * after the chain's last node, so each becomes one node (one kind, with its rules) in the graph.
 */
export function fusePatterns(graph: OnnxGraphProto): OnnxNodeProto[] {
  const nodes = graph.node ?? [];
  const producer = new Map<string, OnnxNodeProto>();
  const readers = new Map<string, OnnxNodeProto[]>();
  for (const node of nodes) {
    for (const output of node.output ?? []) producer.set(output, node);
    for (const input of node.input ?? []) readers.set(input, [...(readers.get(input) ?? []), node]);
  }
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));

  /** The value of a one-element constant (initializer or Constant node), else undefined. */
  const scalar = (name: string): number | undefined => {
    const constant = producer.get(name);
    const proto =
      initializers.get(name) ??
      (constant?.opType === 'Constant' ? constant.attribute?.find((a) => a.name === 'value')?.t : undefined);
    if (!proto) return undefined;
    const tensor = tensorFromProto(proto, name);
    const value = tensor.size === 1 ? tensor.dataSync()[0] : undefined;
    tensor.dispose();
    return value;
  };
  const near = (value: number | undefined, target: number) =>
    value !== undefined && Math.abs(value - target) <= 1e-4 * Math.abs(target);
  /** The only reader of `value` with op type `op`, when `value` has exactly one reader. */
  const onlyReader = (value: string | undefined, op: string) => {
    const list = value === undefined ? [] : (readers.get(value) ?? []);
    return list.length === 1 && list[0].opType === op ? list[0] : undefined;
  };
  /** For a binary node reading `known` on one side, the other input. */
  const other = (node: OnnxNodeProto, known: string) =>
    node.input![0] === known ? node.input![1] : node.input![0];
  const withConstant = (node: OnnxNodeProto | undefined, value: number) =>
    node && node.input!.some((i) => near(scalar(i), value)) ? node : undefined;

  const replaced = new Map<OnnxNodeProto, OnnxNodeProto | null>(); // null: removed
  const fuse = (chain: OnnxNodeProto[], fused: Omit<OnnxNodeProto, 'name' | 'output'>) => {
    if (chain.some((n) => replaced.has(n))) return;
    const last = chain[chain.length - 1];
    chain.forEach((n) => replaced.set(n, null));
    replaced.set(last, { ...fused, name: last.name, output: last.output });
  };

  /** `(1 + f) · x · 0.5` after `f` (Erf or Tanh), the two products in either order: the nodes, or undefined. */
  const geluTail = (f: OnnxNodeProto, x: string): OnnxNodeProto[] | undefined => {
    const plusOne = withConstant(onlyReader(f.output![0], 'Add'), 1);
    const times = onlyReader(plusOne?.output![0], 'Mul');
    if (!plusOne || !times) return undefined;
    const factor = other(times, plusOne.output![0]);
    if (factor === x) {
      const half = withConstant(onlyReader(times.output![0], 'Mul'), 0.5);
      return half && [plusOne, times, half];
    }
    const half = producer.get(factor);
    const halfOfX = half?.opType === 'Mul' && half.input!.includes(x) && withConstant(half, 0.5);
    return halfOfX && readers.get(factor)?.length === 1 ? [plusOne, half, times] : undefined;
  };
  const gelu = (approximate: 'none' | 'tanh') => ({
    opType: 'Gelu',
    attribute: [
      { name: 'approximate', type: AttributeType.STRING, s: new TextEncoder().encode(approximate) },
    ],
  });
  const computedInput = (node: OnnxNodeProto) => node.input!.find((i) => scalar(i) === undefined);

  for (const erf of nodes.filter((n) => n.opType === 'Erf')) {
    // x/√2 (or x·(1/√2)) → Erf → +1 → ·x → ·0.5
    const scale = producer.get(erf.input![0]);
    const divided =
      (scale?.opType === 'Div' && near(scalar(scale.input![1]), Math.SQRT2)) ||
      (scale?.opType === 'Mul' && scale.input!.some((i) => near(scalar(i), Math.SQRT1_2)));
    if (!scale || !divided || !onlyReader(scale.output![0], 'Erf')) continue;
    const x = computedInput(scale)!;
    const tail = geluTail(erf, x);
    if (tail) fuse([scale, erf, ...tail], { ...gelu('none'), input: [x] });
  }

  for (const tanh of nodes.filter((n) => n.opType === 'Tanh')) {
    // √(2/π)·(x + 0.044715·x³) → Tanh → +1 → ·x → ·0.5, with x³ as Pow(x, 3) or x·(x·x)
    const inner = withConstant(producer.get(tanh.input![0]), Math.sqrt(2 / Math.PI));
    const sum = inner && inner.opType === 'Mul' ? producer.get(computedInput(inner)!) : undefined;
    if (!inner || sum?.opType !== 'Add') continue;
    const cubic = sum
      .input!.map((i) => producer.get(i))
      .find((n) => withConstant(n, 0.044715)?.opType === 'Mul');
    const x = cubic && other(sum, cubic.output![0]);
    const cube = cubic && producer.get(computedInput(cubic)!);
    if (!cubic || !x || !cube) continue;
    let cubeNodes: OnnxNodeProto[] | undefined;
    if (cube.opType === 'Pow' && cube.input![0] === x && near(scalar(cube.input![1]), 3)) cubeNodes = [cube];
    else if (cube.opType === 'Mul' && cube.input!.includes(x)) {
      const square = producer.get(other(cube, x));
      if (square?.opType === 'Mul' && square.input!.every((i) => i === x)) cubeNodes = [square, cube];
    }
    const chain = cubeNodes && [...cubeNodes, cubic, sum, inner, tanh];
    const singleUse = chain?.slice(0, -1).every((n) => readers.get(n.output![0])?.length === 1);
    const tail = chain && singleUse ? geluTail(tanh, x) : undefined;
    if (chain && tail) fuse([...chain, ...tail], { ...gelu('tanh'), input: [x] });
  }

  for (const mean of nodes.filter((n) => n.opType === 'ReduceMean')) {
    const x = mean.input![0];
    const centre = onlyReader(mean.output![0], 'Sub');
    if (!centre || centre.input![0] !== x) continue;
    const centred = centre.output![0];
    const square = (readers.get(centred) ?? []).find(
      (n) => n.opType === 'Pow' && near(scalar(n.input![1]), 2),
    );
    const variance = onlyReader(square?.output![0], 'ReduceMean');
    const plusEps = onlyReader(variance?.output![0], 'Add');
    const root = onlyReader(plusEps?.output![0], 'Sqrt');
    const divide = onlyReader(root?.output![0], 'Div');
    if (!square || !variance || !plusEps || !root || !divide || divide.input![0] !== centred) continue;
    if ((readers.get(centred) ?? []).length !== 2) continue;
    const axes = (n: OnnxNodeProto) =>
      JSON.stringify(n.attribute?.find((a) => a.name === 'axes')?.ints?.map(Number));
    if (axes(mean) !== axes(variance)) continue;
    const epsilon = scalar(other(plusEps, variance.output![0])!);
    const scaleBy = onlyReader(divide.output![0], 'Mul');
    const shift = onlyReader(scaleBy?.output![0], 'Add');
    const gamma = scaleBy && other(scaleBy, divide.output![0]);
    const beta = shift && other(shift, scaleBy!.output![0]);
    const meanAxes = mean.attribute?.find((a) => a.name === 'axes')?.ints?.map(Number) ?? [];
    // LayerNormalization normalises the trailing axes from `axis` on: the means must be over those.
    if (epsilon === undefined || !gamma || !beta || !initializers.has(gamma) || !initializers.has(beta))
      continue;
    if (meanAxes.length !== 1 || meanAxes[0] !== -1) continue;
    fuse([mean, centre, square, variance, plusEps, root, divide, scaleBy!, shift!], {
      opType: 'LayerNormalization',
      input: [x, gamma, beta],
      attribute: [
        { name: 'axis', type: AttributeType.INT, i: -1 },
        { name: 'epsilon', type: AttributeType.FLOAT, f: epsilon },
      ],
    });
  }

  return nodes.flatMap((n) => {
    const r = replaced.get(n);
    return r === undefined ? [n] : r === null ? [] : [r];
  });
}
