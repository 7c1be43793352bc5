// Stand-in for @bears/backend/testing while it is being written: same shape, few cases.
import * as tf from '@tensorflow/tfjs-core';

export interface ConformanceCase { name: string; group: string; run(): Promise<void> }
export interface ConformanceResult { name: string; group: string; ok: boolean; error?: string; ms: number }

function rand(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (s * 1664525 + 1013904223) >>> 0; out[i] = s / 2 ** 32 - 0.5; }
  return out;
}

async function onCpu<T>(fn: () => Promise<T>): Promise<T> {
  const prev = tf.getBackend();
  await tf.setBackend('cpu');
  try { return await fn(); } finally { await tf.setBackend(prev); }
}

function compare(kernel: string, got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-3): void {
  let max = 0;
  for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(got[i]! - want[i]!));
  if (got.length !== want.length || !(max <= tol)) throw new Error(`${kernel}: max abs error ${max} > ${tol} (lengths ${got.length}/${want.length})`);
}

export function conformanceCases(_options: { scale?: 'small' | 'full' } = {}): ConformanceCase[] {
  const x = rand(2 * 8 * 8 * 3, 1), w = rand(3 * 3 * 3 * 4, 2);
  const conv = async () => {
    const y = tf.tidy(() => tf.conv2d(tf.tensor4d(x, [2, 8, 8, 3]), tf.tensor4d(w, [3, 3, 3, 4]), 1, 'same'));
    try { return await y.data(); } finally { y.dispose(); }
  };
  const convGrad = async () => {
    const g = tf.tidy(() => tf.grad((f: tf.Tensor) => tf.sum(tf.square(tf.conv2d(tf.tensor4d(x, [2, 8, 8, 3]), f as tf.Tensor4D, 1, 'same'))))(tf.tensor4d(w, [3, 3, 3, 4])));
    try { return await g.data(); } finally { g.dispose(); }
  };
  return [
    { name: 'Conv2D forward', group: 'kernels', run: async () => compare('Conv2D', await conv(), await onCpu(conv)) },
    { name: 'Conv2DBackpropFilter', group: 'gradients', run: async () => compare('Conv2DBackpropFilter', await convGrad(), await onCpu(convGrad), 1e-2) },
  ];
}

export async function runConformance(cases: ConformanceCase[]): Promise<ConformanceResult[]> {
  const out: ConformanceResult[] = [];
  for (const c of cases) {
    const t0 = performance.now();
    try { await c.run(); out.push({ name: c.name, group: c.group, ok: true, ms: performance.now() - t0 }); }
    catch (err) { out.push({ name: c.name, group: c.group, ok: false, error: (err as Error)?.message ?? String(err), ms: performance.now() - t0 }); }
  }
  return out;
}
