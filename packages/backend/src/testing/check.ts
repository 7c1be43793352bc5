import * as tf from '@tensorflow/tfjs-core';

/** Seeded uniform [-1, 1) data (mulberry32): every backend sees the same inputs. */
export function randomData(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

export interface Input { shape: number[]; data: Float32Array | Int32Array; dtype?: 'float32' | 'int32' }

export function input(shape: number[], seed: number, scale = 1): Input {
  const data = randomData(shape.reduce((a, b) => a * b, 1), seed);
  if (scale !== 1) for (let i = 0; i < data.length; i++) data[i]! *= scale;
  return { shape, data };
}

export interface Result { shape: number[]; values: Float32Array }

/**
 * Runs fn on the tfjs backend `backend` with fresh tensors made from the inputs, reads every
 * output back and disposes everything. Inputs are rebuilt per backend so no tensor ever moves
 * between backends (WebGPU cannot read synchronously).
 */
export async function runOn(backend: string, inputs: Input[], fn: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): Promise<Result[]> {
  const previous = tf.getBackend();
  if (previous !== backend && !(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed`);
  try {
    const xs = inputs.map((i) => tf.tensor(i.data, i.shape, i.dtype ?? 'float32'));
    try {
      const out = tf.tidy(() => {
        const r = fn(...xs);
        return Array.isArray(r) ? r : [r];
      });
      try {
        const results: Result[] = [];
        for (const t of out) results.push({ shape: t.shape.slice(), values: Float32Array.from(await t.data()) });
        return results;
      } finally {
        tf.dispose(out);
      }
    } finally {
      tf.dispose(xs);
    }
  } finally {
    if (tf.getBackend() !== previous) await tf.setBackend(previous);
  }
}

export interface Tolerance { rtol?: number; atol?: number }

/** Throws with the op, shapes and worst element unless |got - want| <= atol + rtol * max|want|. */
export function assertClose(label: string, got: Result, want: Result, tol: Tolerance = {}): void {
  if (got.shape.join(',') !== want.shape.join(',')) {
    throw new Error(`${label}: shape [${got.shape.join(', ')}], expected [${want.shape.join(', ')}]`);
  }
  let scale = 0;
  for (const v of want.values) scale = Math.max(scale, Math.abs(v));
  const limit = (tol.atol ?? 1e-4) + (tol.rtol ?? 1e-3) * scale;
  let worst = -1, worstDiff = 0;
  for (let i = 0; i < want.values.length; i++) {
    const d = Math.abs(got.values[i]! - want.values[i]!);
    if (!(d <= worstDiff) || Number.isNaN(d)) { worst = i; worstDiff = Number.isNaN(d) ? Infinity : d; }
  }
  if (worst >= 0 && !(worstDiff <= limit)) {
    throw new Error(
      `${label} [${want.shape.join(', ')}]: max |error| ${worstDiff.toPrecision(3)} > tolerance ${limit.toPrecision(3)} ` +
      `at flat index ${worst} (got ${got.values[worst]}, reference ${want.values[worst]}; max |reference| ${scale.toPrecision(3)})`,
    );
  }
}

/**
 * Compares fn on the current backend with tfjs-backend-cpu. `label` should name the kernel under
 * test; a kernel the backend lacks fails with tfjs's own "Kernel 'X' not registered" message.
 */
export async function compareWithCpu(
  label: string,
  inputs: Input[],
  fn: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
  tol?: Tolerance,
  outputNames?: string[],
): Promise<void> {
  const backend = tf.getBackend();
  let got: Result[];
  try {
    got = await runOn(backend, inputs, fn);
  } catch (err) {
    throw new Error(`${label} failed on '${backend}': ${(err as Error).message}`, { cause: err });
  }
  const want = await runOn('cpu', inputs, fn);
  want.forEach((w, i) => assertClose(outputNames?.[i] ? `${label} ${outputNames[i]}` : `${label} output ${i}`, got[i]!, w, tol));
}
