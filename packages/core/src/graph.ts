import * as tf from '@tensorflow/tfjs-core';
import {
  GraphError,
  PluginError,
  ShapeMismatchError,
  UnknownNodeError,
  AttribError,
  InvalidArgumentError,
  invalidArgument,
} from './errors.js';
import { getKind, type Module } from './module.js';
import { makeHandle, type ForwardHook, type HookHandle } from './hooks.js';

export interface GraphNode {
  readonly name: string;
  readonly module: Module;
  /** Names of earlier nodes or graph inputs, in argument order. */
  readonly inputs: readonly string[];
}

export interface GraphInput {
  readonly name: string;
  /** Shape with the batch axis first; `null` for free axes (always the batch). */
  readonly shape?: readonly (number | null)[];
  /**
   * 'float32' or 'int32' (token ids, read by an embedding). When declared, every run checks it both ways;
   * undeclared, any dtype passes (the kinds that read the input check what they need).
   */
  readonly dtype?: GraphInputDtype;
}

export type GraphInputDtype = 'float32' | 'int32';

export interface GraphSpec {
  readonly inputs: readonly GraphInput[];
  readonly nodes: readonly GraphNode[];
  readonly output: string;
}

/** What a forward pass produced: the output, and every node's output (and the graph inputs) by name. */
export interface ForwardResult {
  readonly output: tf.Tensor;
  /** Node outputs and graph inputs by name, after hooks. */
  readonly values: ReadonlyMap<string, tf.Tensor>;
  /** The inputs each node actually received (after `before` hooks). */
  readonly nodeInputs: ReadonlyMap<string, readonly tf.Tensor[]>;
}

export type GraphInputs = tf.Tensor | readonly tf.Tensor[] | Readonly<Record<string, tf.Tensor>>;

/**
 * A DAG of named nodes in topological order with one or more inputs and one output. Immutable:
 * canonizers and other transforms build new graphs (`graph.derive`). Hooks registered with `addHook`
 * apply to every run until removed.
 */
export class Graph {
  readonly inputs: readonly GraphInput[];
  readonly nodes: readonly GraphNode[];
  readonly output: string;
  private readonly byName = new Map<string, GraphNode>();
  private readonly registeredHooks = new Set<ForwardHook>();

  constructor(spec: GraphSpec) {
    this.inputs = spec.inputs;
    this.nodes = spec.nodes;
    this.output = spec.output;
    const known = new Set<string>();
    for (const input of spec.inputs) {
      if (known.has(input.name))
        throw new GraphError('duplicate-node', `graph input '${input.name}' is declared twice`);
      known.add(input.name);
      if (input.dtype !== undefined && input.dtype !== 'float32' && input.dtype !== 'int32') {
        throw new GraphError(
          'bad-node',
          `graph input '${input.name}' has dtype ${JSON.stringify(input.dtype)}; expected 'float32' or 'int32'`,
        );
      }
    }
    const allNames = new Set([...known, ...spec.nodes.map((n) => n.name)]);
    for (const node of spec.nodes) {
      if (known.has(node.name))
        throw new GraphError('duplicate-node', `node '${node.name}' is declared twice`);
      const definition = getKind(node.module.kind);
      if (!definition)
        throw new GraphError('unknown-op', `node '${node.name}': unknown op '${node.module.kind}'`);
      const arityOk =
        definition.arity === 'variadic' ? node.inputs.length >= 1 : node.inputs.length === definition.arity;
      if (!arityOk) {
        throw new GraphError(
          'bad-node',
          `node '${node.name}' (${node.module.kind}) takes ${definition.arity === 'variadic' ? 'one or more' : definition.arity} input(s), got ${node.inputs.length}`,
        );
      }
      for (const input of node.inputs) {
        if (known.has(input)) continue;
        if (input === node.name || allNames.has(input)) {
          throw new GraphError(
            'cyclic-input',
            `node '${node.name}' reads '${input}', which is not computed before it (a cycle or a node out of order)`,
          );
        }
        throw new GraphError(
          'missing-input',
          `node '${node.name}' reads '${input}', which is neither a node nor a graph input`,
        );
      }
      known.add(node.name);
      this.byName.set(node.name, node);
    }
    if (!this.byName.has(spec.output) && !spec.inputs.some((i) => i.name === spec.output)) {
      throw new GraphError('unknown-output', `the output '${spec.output}' is not a node of the graph`);
    }
  }

  /** The node called `name`; an unknown name is an error listing the names there are. */
  node(name: string, fn = 'graph.node'): GraphNode {
    const node = this.byName.get(name);
    if (!node)
      throw new UnknownNodeError(
        name,
        this.nodes.map((n) => n.name),
        fn,
      );
    return node;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  isInput(name: string): boolean {
    return this.inputs.some((i) => i.name === name);
  }

  /** Nodes that read `name`'s output, in order. */
  consumers(name: string): GraphNode[] {
    return this.nodes.filter((n) => n.inputs.includes(name));
  }

  /** A new graph with some nodes replaced, removed or added; this graph is left untouched. */
  derive(change: { nodes?: readonly GraphNode[]; output?: string; inputs?: readonly GraphInput[] }): Graph {
    return new Graph({
      inputs: change.inputs ?? this.inputs,
      nodes: change.nodes ?? this.nodes,
      output: change.output ?? this.output,
    });
  }

  /** Registers a hook for every run until the handle removes it. */
  addHook(hook: ForwardHook): HookHandle {
    this.node(hook.node, 'graph.addHook');
    this.registeredHooks.add(hook);
    return makeHandle(() => this.registeredHooks.delete(hook));
  }

  /** Hooks currently registered with `addHook`. */
  get hooks(): readonly ForwardHook[] {
    return [...this.registeredHooks];
  }

  /** Runs the model and returns its output. Intermediate tensors are disposed. */
  run(inputs: GraphInputs, options: { hooks?: readonly ForwardHook[] } = {}): tf.Tensor {
    return tf.tidy(() => this.forward(inputs, options).output);
  }

  /**
   * Runs the model and returns every node's output. Nothing is disposed: call inside `tf.tidy` (or
   * a gradient function) and keep what you need.
   */
  forward(inputs: GraphInputs, options: { hooks?: readonly ForwardHook[]; fn?: string } = {}): ForwardResult {
    const fn = options.fn ?? 'graph.run';
    const inputTensors = this.normalizeInputs(inputs, fn);
    const hooks = [...this.registeredHooks, ...(options.hooks ?? [])];
    const hooksByNode = new Map<string, ForwardHook[]>();
    for (const hook of hooks) {
      this.node(hook.node, fn);
      const list = hooksByNode.get(hook.node) ?? [];
      list.push(hook);
      hooksByNode.set(hook.node, list);
    }
    const values = new Map<string, tf.Tensor>();
    const nodeInputs = new Map<string, readonly tf.Tensor[]>();
    this.inputs.forEach((input, i) => values.set(input.name, inputTensors[i]));
    for (const node of this.nodes) {
      let args: readonly tf.Tensor[] = node.inputs.map((name) => values.get(name)!);
      const nodeHooks = hooksByNode.get(node.name) ?? [];
      for (const hook of nodeHooks) {
        if (hook.before)
          args = runUserCode(hook, 'before', node, () => hook.before!({ node, inputs: args })) ?? args;
      }
      nodeInputs.set(node.name, args);
      const compute = (
        ins: readonly tf.Tensor[] = args,
        params?: Readonly<Record<string, tf.Tensor | null>>,
      ) => {
        try {
          return node.module.forward(ins, params);
        } catch (error) {
          if (AttribError.isInstance(error)) throw error;
          const shapes = ins.map((t) => `[${t.shape.join(', ')}]`).join(', ');
          throw new ShapeMismatchError(
            'shape-mismatch',
            `node '${node.name}' (${node.module.kind}) could not run on input shape(s) ${shapes}: ${(error as Error).message}`,
            { cause: error },
          );
        }
      };
      const arounds = nodeHooks.filter((h) => h.around);
      const wrapped = arounds.reduceRight<typeof compute>(
        (inner, hook) =>
          (ins = args, params) =>
            runUserCode(hook, 'around', node, () =>
              hook.around!({ node, inputs: ins, compute: (i = ins, p = params) => inner(i, p) }),
            ),
        compute,
      );
      let output = wrapped(args);
      for (const hook of nodeHooks) {
        if (hook.after)
          output =
            runUserCode(hook, 'after', node, () => hook.after!({ node, inputs: args, output })) ?? output;
      }
      values.set(node.name, output);
    }
    return { output: values.get(this.output)!, values, nodeInputs };
  }

  /**
   * The output's shape for these inputs, from a forward pass of their first row only (the batch axis is
   * the inputs'): what target checks need, without running the whole batch.
   */
  outputShape(inputs: GraphInputs, fn = 'graph.outputShape'): number[] {
    const list = this.normalizeInputs(inputs, fn);
    return tf.tidy(() => {
      const { output } = this.forward(
        list.map((x) => tf.slice(x, [0], [1])),
        { fn },
      );
      return [list[0].shape[0], ...output.shape.slice(1)];
    });
  }

  /** Accepts one tensor, a list in input order, or a record by input name; checks count and shapes. */
  normalizeInputs(inputs: GraphInputs, fn: string): tf.Tensor[] {
    let list: tf.Tensor[];
    if (inputs instanceof tf.Tensor) list = [inputs];
    else if (Array.isArray(inputs)) list = [...(inputs as tf.Tensor[])];
    else if (inputs && typeof inputs === 'object') {
      const record = inputs as Record<string, tf.Tensor>;
      list = this.inputs.map((input) => record[input.name]);
    } else {
      throw invalidArgument(fn, 'inputs', 'a tensor, a list of tensors or a record by input name', inputs);
    }
    if (list.length !== this.inputs.length || list.some((t) => !(t instanceof tf.Tensor))) {
      throw invalidArgument(
        fn,
        'inputs',
        `${this.inputs.length} tensor(s) (${this.inputs.map((i) => i.name).join(', ')})`,
        inputs,
      );
    }
    list.forEach((tensor, i) => {
      const dtype = this.inputs[i].dtype;
      if (dtype !== undefined && tensor.dtype !== dtype) {
        throw new InvalidArgumentError(
          'invalid-argument',
          `Argument 'inputs' passed to '${fn}': input '${this.inputs[i].name}' must be ${dtype === 'int32' ? 'an int32 tensor (integer ids)' : 'a float32 tensor'}, but got a ${tensor.dtype} tensor.`,
        );
      }
      const declared = this.inputs[i].shape;
      if (!declared) return;
      const fits =
        declared.length === tensor.rank &&
        declared.every((d, axis) => d === null || d === tensor.shape[axis]);
      if (!fits) {
        throw new ShapeMismatchError(
          'shape-mismatch',
          `Argument 'inputs' passed to '${fn}': input '${this.inputs[i].name}' must have shape [${declared.map((d) => d ?? 'N').join(', ')}], but got shape [${tensor.shape.join(', ')}].`,
        );
      }
    });
    return list;
  }
}

function runUserCode<T>(hook: ForwardHook, phase: string, node: GraphNode, body: () => T): T {
  try {
    return body();
  } catch (error) {
    if (AttribError.isInstance(error)) throw error;
    throw new PluginError(hook.name ?? 'forward hook', phase, node.name, error);
  }
}
