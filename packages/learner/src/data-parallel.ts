// The portable half of data-parallel training (the worker_threads host is in node/parallel-train.ts):
// which micro-batches each replica runs, how weights and gradients are packed and summed, and the
// per-call dropout counters that make a replica draw the masks the single-thread step would.

/** A contiguous run of micro-batches one replica computes. */
export interface ReplicaShare {
  /** Index of its first micro-batch in the batch. */
  first: number;
  /** Its micro-batch sizes, in order. */
  sizes: number[];
  /** Its first row (image) in the batch. */
  start: number;
  /** Rows in all. */
  rows: number;
}

/** The micro-batch sizes trainStep cuts a batch of n into: `micro` each, the rest last. */
export function microBatchSizes(n: number, micro: number): number[] {
  if (!(Number.isInteger(n) && n >= 1 && Number.isInteger(micro) && micro >= 1)) throw new RangeError(`microBatchSizes(${n}, ${micro}): both must be whole numbers >= 1`);
  const sizes: number[] = [];
  for (let start = 0; start < n; start += micro) sizes.push(Math.min(micro, n - start));
  return sizes;
}

/**
 * Cuts the micro-batches into at most `replicas` contiguous runs, none empty, so that the largest
 * run has as few rows as possible (the step waits for the slowest replica). Contiguous, so each
 * replica's partial sum adds the gradients in trainStep's order.
 */
export function splitMicroBatches(sizes: number[], replicas: number): ReplicaShare[] {
  const k = sizes.length;
  const r = Math.max(1, Math.min(Math.floor(replicas), k));
  const prefix = [0];
  for (const s of sizes) prefix.push(prefix.at(-1)! + s);
  // best[j][i]: the smallest largest run when the first i micro-batches go to j replicas; cut[j][i] where the last run starts.
  const best = Array.from({ length: r + 1 }, () => new Array<number>(k + 1).fill(Infinity));
  const cut = Array.from({ length: r + 1 }, () => new Array<number>(k + 1).fill(0));
  best[0]![0] = 0;
  for (let j = 1; j <= r; j++) {
    for (let i = j; i <= k; i++) {
      for (let c = j - 1; c < i; c++) {
        const v = Math.max(best[j - 1]![c]!, prefix[i]! - prefix[c]!);
        // Ties go to the later cut: earlier replicas take more, the last (holding a short remainder) less.
        if (v <= best[j]![i]!) {
          best[j]![i] = v;
          cut[j]![i] = c;
        }
      }
    }
  }
  const shares: ReplicaShare[] = [];
  for (let j = r, i = k; j >= 1; j--) {
    const c = cut[j]![i]!;
    shares.unshift({ first: c, sizes: sizes.slice(c, i), start: prefix[c]!, rows: prefix[i]! - prefix[c]! });
    i = c;
  }
  return shares;
}

/** Where each tensor lies when tensors are packed end to end in one Float32Array. */
export function packLayout(shapes: readonly (readonly number[])[]): { offsets: number[]; sizes: number[]; total: number } {
  const offsets: number[] = [];
  const sizes: number[] = [];
  let total = 0;
  for (const shape of shapes) {
    const size = shape.reduce((a, b) => a * b, 1);
    offsets.push(total);
    sizes.push(size);
    total += size;
  }
  return { offsets, sizes, total };
}

/** Values (one per tensor, in the layout's order) packed end to end in one Float32Array. */
export function packValues(values: readonly ArrayLike<number>[], layout: ReturnType<typeof packLayout>): Float32Array {
  const packed = new Float32Array(layout.total);
  values.forEach((v, i) => packed.set(v, layout.offsets[i]));
  return packed;
}

/** Tensor i's values in a packed array (a view, not a copy). */
export function unpacked(packed: Float32Array, layout: ReturnType<typeof packLayout>, i: number): Float32Array {
  return packed.subarray(layout.offsets[i]!, layout.offsets[i]! + layout.sizes[i]!);
}

/** a += b elementwise in float32, as tf.add accumulates the micro-batch gradients. */
export function addInto(a: Float32Array, b: Float32Array): void {
  if (a.length !== b.length) throw new RangeError(`addInto: lengths differ (${a.length} vs ${b.length})`);
  for (let i = 0; i < a.length; i++) a[i]! += b[i]!;
}

/**
 * The replicas' packed partial gradient sums, added in replica order (their runs are contiguous and
 * in order, so this is trainStep's accumulation up to float rounding). A tensor none of them
 * reached (`present` false everywhere) stays absent, as a null gradient is left out there.
 */
export function sumPartials(parts: ReadonlyArray<{ grads: Float32Array; present: Uint8Array }>): { grads: Float32Array; present: Uint8Array } {
  if (parts.length === 0) throw new RangeError('sumPartials: no partial sums');
  const grads = new Float32Array(parts[0]!.grads);
  const present = new Uint8Array(parts[0]!.present);
  for (const p of parts.slice(1)) {
    addInto(grads, p.grads);
    for (let i = 0; i < present.length; i++) present[i] = present[i]! | p.present[i]!;
  }
  return { grads, present };
}

/** The micro-batch losses (each already scaled by its share of the batch) summed in batch order. */
export function sumLosses(perReplica: ReadonlyArray<readonly number[]>): number {
  let sum = 0;
  for (const losses of perReplica) for (const l of losses) sum += l;
  return sum;
}

interface CountedDropout {
  calls: number;
}

const isCounted = (l: unknown): l is CountedDropout => typeof (l as { calls?: unknown }).calls === 'number';

/**
 * The head's per-call dropout counters (StepDropout draws its mask from seed and call count), in
 * layer order. Micro-batch k of a step draws with the counters at the step's start plus k, so a
 * replica told the start values draws the masks the single-thread step would.
 */
export function dropoutCounters(layers: readonly unknown[]): number[] {
  return layers.filter(isCounted).map((l) => l.calls);
}

/** Sets the counters dropoutCounters() read (same layers, same order). */
export function setDropoutCounters(layers: readonly unknown[], counters: readonly number[]): void {
  const counted = layers.filter(isCounted);
  if (counted.length !== counters.length) throw new RangeError(`setDropoutCounters: ${counted.length} dropout layers, ${counters.length} counters`);
  counted.forEach((l, i) => (l.calls = counters[i]!));
}
