import { Rng } from '@bears/sgd';

/** Gaussian clusters in d dims, one per class, with some labels flipped: the known answers. */
export function clusters(options: { perClass?: number; c?: number; d?: number; flips?: number; spread?: number; seed?: number } = {}) {
  const per = options.perClass ?? 30;
  const c = options.c ?? 3;
  const d = options.d ?? 8;
  const rng = new Rng(options.seed ?? 1);
  const n = per * c;
  const features = new Float32Array(n * d);
  const truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = Math.floor(i / per);
    truth[i] = k;
    for (let j = 0; j < d; j++) features[i * d + j] = (j % c === k ? 3 : 0) + rng.normal(0, options.spread ?? 0.6);
  }
  const labels = Int32Array.from(truth);
  // Flip every (n / flips)-th item to the next class.
  const flipped: number[] = [];
  const flips = options.flips ?? 6;
  for (let f = 0; f < flips; f++) {
    const i = Math.floor((f + 0.5) * (n / flips));
    labels[i] = (truth[i]! + 1) % c;
    flipped.push(i);
  }
  return { n, c, d, features, truth, labels, flipped };
}

/** Probabilities that put `conf` on the true class, for a known-answer confident joint. */
export function confidentProbs(truth: Int32Array, c: number, conf = 0.9): Float32Array {
  const p = new Float32Array(truth.length * c).fill((1 - conf) / (c - 1));
  truth.forEach((t, i) => (p[i * c + t] = conf));
  return p;
}
