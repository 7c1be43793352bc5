// One copy of parallel inference (see parallel-infer.ts): the model rebuilt from its topology and
// weights on its own one-thread wasm backend; each request is a share of a batch, answered with the
// model's output rows.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { useBackend } from '@bears/backend';
import { parentPort } from 'node:worker_threads';
import { packLayout, unpacked } from '../data-parallel.js';
import { inferenceForward } from '../forward.js';
import { fusedInference } from '../fused-inference.js';
import type { InferenceReply, InferenceRequest, InferenceSpec } from './parallel-infer.js';

const port = parentPort;
if (!port) throw new Error('infer-worker.js runs as a worker_thread of an inference pool');

let model: tfl.LayersModel | undefined;
let fuse = false;

async function init(s: InferenceSpec): Promise<void> {
  const mod = (await import(s.backendModule)) as { configureWasmThreads?: (n: number) => void };
  // One thread per copy: the copies are the parallelism.
  mod.configureWasmThreads?.(1);
  await useBackend(s.backendName, { env: null });
  const m = (await tfl.models.modelFromJSON({ modelTopology: s.topology } as never)) as tfl.LayersModel;
  const layout = packLayout(s.weightShapes);
  if (m.weights.length !== s.weightShapes.length) throw new Error(`the rebuilt model has ${m.weights.length} weights, the spec ${s.weightShapes.length}`);
  // setWeights copies into the model's variables: the tensors it took are freed with the tidy.
  tf.tidy(() => m.setWeights(s.weightShapes.map((shape, i) => tf.tensor(unpacked(s.weights, layout, i), shape))));
  model = m;
  fuse = s.fuse;
}

async function run(req: InferenceRequest): Promise<InferenceReply> {
  const m = model!;
  const out = fusedInference(m, fuse, () => tf.tidy(() => inferenceForward(m, tf.tensor(req.x, req.shape)) as tf.Tensor));
  try {
    return { type: 'out', values: (await out.data()) as Float32Array };
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
