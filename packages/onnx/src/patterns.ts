import { AttributeType, type OnnxGraphProto, type OnnxNodeProto } from './schema.js';
import { tensorFromProto } from './tensor.js';

/**
 * Exporters write some modules as chains of primitive ops: torch's GELU (before opset 20) as
 * `x·0.5·(1 + erf(x/√2))`, its LayerNorm (before opset 17) as ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/
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

  for (const erf of nodes.filter((n) => n.opType === 'Erf')) {
    // x/√2 (or x·(1/√2)) → Erf → +1 → ·x → ·0.5, the two products in either order.
    const scale = producer.get(erf.input![0]);
    const divided =
      (scale?.opType === 'Div' && near(scalar(scale.input![1]), Math.SQRT2)) ||
      (scale?.opType === 'Mul' && scale.input!.some((i) => near(scalar(i), Math.SQRT1_2)));
    if (!scale || !divided) continue;
    const x = scale.input!.find((i) => scalar(i) === undefined)!;
    const plusOne = withConstant(onlyReader(erf.output![0], 'Add'), 1);
    const times = onlyReader(plusOne?.output![0], 'Mul');
    if (!plusOne || !times) continue;
    const factor = other(times, plusOne.output![0])!;
    let chain: OnnxNodeProto[] | undefined;
    if (factor === x) {
      const half = withConstant(onlyReader(times.output![0], 'Mul'), 0.5);
      if (half) chain = [scale, erf, plusOne, times, half];
    } else {
      const half = producer.get(factor);
      if (
        half?.opType === 'Mul' &&
        half.input!.includes(x) &&
        withConstant(half, 0.5) &&
        readers.get(factor)?.length === 1
      )
        chain = [scale, erf, plusOne, half, times];
    }
    if (chain && onlyReader(scale.output![0], 'Erf'))
      fuse(chain, {
        opType: 'Gelu',
        input: [x],
        attribute: [{ name: 'approximate', type: AttributeType.STRING, s: new TextEncoder().encode('none') }],
      });
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
