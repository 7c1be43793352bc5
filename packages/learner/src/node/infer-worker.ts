// One copy of parallel inference (see parallel-infer.ts): the model rebuilt from its topology and
// weights on its own one-thread wasm backend; each request is a share of a batch, answered with the
// model's output rows (or their concat pool, for body features).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { useBackend } from '@bears/backend';
import { parentPort } from 'node:worker_threads';
import { packLayout } from '../data-parallel.js';
import { fusedInference } from '../fused-inference.js';
import { concatPool } from '../head.js';
import type { InferenceReply, InferenceRequest, InferenceSpec } from './parallel-infer.js';

const port = parentPort;
if (!port) throw new Error('infer-worker.js runs as a worker_thread of an inference pool');

let model: tfl.LayersModel | undefined;
let spec: InferenceSpec | undefined;

async function init(s: InferenceSpec): Promise<void> {
  const mod = (await import(s.backendModule)) as { configureWasmThreads?: (n: number) => void };
  // One thread per copy: the copies are the parallelism.
  mod.configureWasmThreads?.(1);
  await useBackend(s.backendName, { env: null });
  const m = (await tfl.models.modelFromJSON({ modelTopology: s.topology } as never)) as tfl.LayersModel;
  const layout = packLayout(s.weightShapes);
  if (m.weights.length !== s.weightShapes.length) throw new Error(`the rebuilt model has ${m.weights.length} weights, the spec ${s.weightShapes.length}`);
  m.setWeights(s.weightShapes.map((shape, i) => tf.tensor(s.weights.subarray(layout.offsets[i]!, layout.offsets[i]! + layout.sizes[i]!), shape)));
  model = m;
  spec = { ...s, weights: new Float32Array(0) };
}

async function run(req: InferenceRequest): Promise<InferenceReply> {
  const m = model!;
  const out = fusedInference(m, spec!.fuse, () =>
    tf.tidy(() => {
      const y = m.predict(tf.tensor(req.x, req.shape)) as tf.Tensor;
      return spec!.output === 'concat-pool' ? concatPool(y as tf.Tensor4D) : y;
    }),
  );
  try {
    return { type: 'out', values: (await out.data()) as Float32Array, shape: out.shape };
  } finally {
    out.dispose();
  }
}

port.on('message', (msg: { type: 'init'; spec: InferenceSpec } | InferenceRequest) => {
  const work = msg.type === 'init' ? init(msg.spec).then((): InferenceReply => ({ type: 'ready' })) : run(msg);
  work.then(
    (reply) => port.postMessage(reply, reply.type === 'out' ? [reply.values.buffer as ArrayBuffer] : []),
    (err: unknown) => port.postMessage({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});
