// One replica of data-parallel training (see parallel-train.ts): a learner of the same topology and
// head on its own single-threaded wasm backend. It takes every weight with each step, runs its
// micro-batches as trainStep would (same loss scaling, same dropout draws), and sends back its
// partial gradient sum and the micro-batch losses.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { useBackend } from '@bears/backend';
import { parentPort } from 'node:worker_threads';
import type { Body } from '../archs.js';
import { packLayout, setDropoutCounters, unpacked } from '../data-parallel.js';
import type { LearnerData } from '../feature-cache.js';
import { Learner } from '../learner.js';
import type { ReplicaSpec, StepRequest, WorkerReply } from './parallel-train.js';

const port = parentPort;
if (!port) throw new Error('train-worker.js runs as a worker_thread of the learner (data-parallel training)');

let learner: Learner | undefined;
let weights: tfl.LayerVariable[] = [];
let shapes: number[][] = [];
let layout = packLayout([]);

async function init(spec: ReplicaSpec): Promise<void> {
  const mod = (await import(spec.backendModule)) as { configureWasmThreads?: (n: number) => void };
  // One thread per replica: the replicas are the parallelism.
  mod.configureWasmThreads?.(1);
  const backend = await useBackend(spec.backendName, { env: null });
  const model = (await tfl.models.modelFromJSON({ modelTopology: spec.topology } as never)) as tfl.LayersModel;
  const shape = (model.outputs[0] as tfl.SymbolicTensor).shape;
  const weighted = model.layers.filter((l) => l.weights.length > 0);
  const body: Body = {
    arch: spec.arch as unknown as Body['arch'],
    model,
    inputSize: spec.arch.inputSize,
    channels: shape[3] as number,
    groups: [[], weighted],
    pretrained: spec.pretrained,
  };
  const data = { classes: spec.classes, train: [], valid: [], loader: () => { throw new Error('a training replica loads no data'); } } as unknown as LearnerData;
  learner = new Learner(data, body, { ...spec.options, backend, log: () => {}, featureCache: false });
  learner.unfreeze();
  const named = learner.namedWeights();
  weights = spec.weightNames.map((n) => {
    const w = named.get(n);
    if (!w) throw new Error(`the replica has no weight named '${n}'`);
    return w;
  });
  shapes = spec.weightShapes;
  layout = packLayout(shapes);
}

async function step(req: StepRequest): Promise<WorkerReply> {
  const t0 = performance.now();
  const l = learner!;
  tf.tidy(() => {
    weights.forEach((w, i) => w.write(tf.tensor(unpacked(req.weights, layout, i), shapes[i])));
  });
  const tWrite = performance.now() - t0;
  const vars = req.trainable.map((i) => weights[i]!.read() as tf.Variable);
  const rowSize = req.image.reduce((a, b) => a * b, 1);
  const acc: Array<tf.Tensor | undefined> = vars.map(() => undefined);
  const losses: number[] = [];
  let row = 0;
  for (let k = 0; k < req.sizes.length; k++) {
    const size = req.sizes[k]!;
    setDropoutCounters(l.head.layers, req.dropout.map((c) => c + req.first + k));
    const { value, grads } = tf.tidy(() => {
      const xs = tf.tensor(req.x.subarray(row * rowSize, (row + size) * rowSize), [size, ...req.image]);
      const ys = tf.tensor1d(req.y.slice(row, row + size), req.yDtype);
      return l.lossGrads(xs, ys, req.n, false, true, vars);
    });
    losses.push((await value.data())[0]!);
    value.dispose();
    vars.forEach((v, i) => {
      const g = grads[v.name];
      if (!g) return;
      const prev = acc[i];
      acc[i] = prev ? tf.add(prev, g) : g;
      if (prev) {
        prev.dispose();
        g.dispose();
      }
    });
    row += size;
  }
  const out = packLayout(vars.map((v) => v.shape));
  const packed = new Float32Array(out.total);
  const present = new Uint8Array(vars.length);
  for (let i = 0; i < vars.length; i++) {
    const g = acc[i];
    if (!g) continue;
    packed.set((await g.data()) as Float32Array, out.offsets[i]);
    present[i] = 1;
    g.dispose();
  }
  return { type: 'grads', grads: packed, present, losses, ms: { write: tWrite, total: performance.now() - t0 } };
}

port.on('message', (msg: { type: 'init'; spec: ReplicaSpec } | StepRequest) => {
  const work = msg.type === 'init' ? init(msg.spec).then((): WorkerReply => ({ type: 'ready' })) : step(msg);
  work.then(
    (reply) => port.postMessage(reply, reply.type === 'grads' ? [reply.grads.buffer as ArrayBuffer, reply.present.buffer as ArrayBuffer] : []),
    (err: unknown) => port.postMessage({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies WorkerReply),
  );
});
