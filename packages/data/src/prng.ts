/**
 * Seeded randomness with the same results on every platform: string hashing (cyrb53) for
 * split assignment and seed derivation, and sfc32 for streams. Never Math.random. The one Rng of
 * the monorepo: @bears/sgd (synthetic data, minibatch order) and @bears/learner use it too.
 */

/** 53-bit hash of a string (cyrb53), as a float in [0, 1). Same value on every platform. */
export function hashUnit(text: string, seed = 0): number {
  return hash53(text, seed) / 2 ** 53;
}

/** 53-bit non-cryptographic hash of a string's UTF-16 code units (cyrb53). */
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** A seeded pseudo-random stream (sfc32, 128-bit state). */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Seeds from any mix of numbers and strings, e.g. `new Rng(42, 'augment', epoch, file)`. */
  constructor(...seed: Array<number | string>) {
    for (const part of seed) {
      if (typeof part === 'number' ? !Number.isFinite(part) : typeof part !== 'string') throw new RangeError(`Rng: seed must be finite numbers or strings, got ${String(part)}`);
    }
    const key = seed.map(String).join('\u0000');
    const h = hash53(key, 0);
    const g = hash53(key, 0x9e3779b9);
    this.a = h >>> 0;
    this.b = Math.floor(h / 4294967296) >>> 0;
    this.c = g >>> 0;
    this.d = (Math.floor(g / 4294967296) ^ 0x5bd1e995) >>> 0;
    // Warm up so similar seeds diverge.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform float in [lo, hi) (default [0, 1)). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  /** Normal draw (Box-Muller). */
  normal(mean = 0, std = 1): number {
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p >= 1 ? (this.next(), true) : this.next() < p;
  }

  /** Fisher-Yates shuffle in place; returns the array. */
  shuffle<T>(array: T[]): T[] {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = array[i]!;
      array[i] = array[j]!;
      array[j] = tmp;
    }
    return array;
  }
}
