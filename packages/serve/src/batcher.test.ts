import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_BATCH_SIZE, MicroBatcher, QueueFullError } from './batcher.js';
import type { Prediction } from '@bears/learner';

/** A fake model: the prediction of row i is its first value; a NaN row makes the whole pass throw. */
function fakeRun(sizes: number[], delayMs = 5) {
  return async (batch: Float32Array, n: number): Promise<Prediction[]> => {
    sizes.push(n);
    await new Promise((r) => setTimeout(r, delayMs));
    if (batch.some(Number.isNaN)) throw new Error('NaN in batch');
    return Array.from({ length: n }, (_, i) => ({ label: String(batch[i * 2]), index: batch[i * 2]!, probabilities: [batch[i * 2]!] }));
  };
}

describe('MicroBatcher', () => {
  it('runs requests that arrive together as one pass and routes each row back', async () => {
    const sizes: number[] = [];
    const b = new MicroBatcher(fakeRun(sizes), 2, { maxBatchSize: 8, maxWaitMs: 5 });
    const out = await Promise.all([1, 2, 3, 4, 5].map((v) => b.submit(Float32Array.of(v, 0))));
    expect(out.map((p) => p.index)).toEqual([1, 2, 3, 4, 5]);
    expect(sizes).toEqual([5]);
  });

  it('never puts more than maxBatchSize in one pass, and batches what queued during a pass', async () => {
    const sizes: number[] = [];
    const b = new MicroBatcher(fakeRun(sizes, 10), 2, { maxBatchSize: 3, maxWaitMs: 1 });
    const out = await Promise.all(Array.from({ length: 7 }, (_, v) => b.submit(Float32Array.of(v, 0))));
    expect(out.map((p) => p.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(sizes).toEqual([3, 3, 1]);
    expect(b.depth).toBe(0);
  });

  it('without maxBatchSize, a pass holds at most DEFAULT_MAX_BATCH_SIZE (8) images', async () => {
    expect(DEFAULT_MAX_BATCH_SIZE).toBe(8); // the help text, the README and the bench's row say 8
    const sizes: number[] = [];
    const b = new MicroBatcher(fakeRun(sizes), 2);
    expect(b.maxBatchSize).toBe(DEFAULT_MAX_BATCH_SIZE);
    await Promise.all(Array.from({ length: 2 * DEFAULT_MAX_BATCH_SIZE + 1 }, (_, v) => b.submit(Float32Array.of(v, 0))));
    expect(sizes).toEqual([DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_BATCH_SIZE, 1]);
  });

  it('one bad input never fails its batch mates: the batch is retried image by image', async () => {
    const sizes: number[] = [];
    const b = new MicroBatcher(fakeRun(sizes), 2, { maxBatchSize: 8, maxWaitMs: 5 });
    const results = await Promise.allSettled([b.submit(Float32Array.of(1, 0)), b.submit(Float32Array.of(NaN, 0)), b.submit(Float32Array.of(3, 0))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[0] as PromiseFulfilledResult<Prediction>).value.index).toBe(1);
    expect((results[2] as PromiseFulfilledResult<Prediction>).value.index).toBe(3);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/NaN/);
    expect(sizes).toEqual([3, 1, 1, 1]);
  });

  it('refuses work past maxQueue with QueueFullError', async () => {
    const b = new MicroBatcher(fakeRun([], 20), 2, { maxBatchSize: 2, maxQueue: 3 });
    const ok = [0, 1, 2].map((v) => b.submit(Float32Array.of(v, 0)));
    await expect(b.submit(Float32Array.of(9, 0))).rejects.toBeInstanceOf(QueueFullError);
    await Promise.all(ok);
    await expect(b.submit(Float32Array.of(4, 0))).resolves.toMatchObject({ index: 4 });
  });

  it('an aborted request leaves the queue without a forward pass', async () => {
    const sizes: number[] = [];
    const b = new MicroBatcher(fakeRun(sizes, 30), 2, { maxBatchSize: 1 });
    const first = b.submit(Float32Array.of(1, 0));
    const ctl = new AbortController();
    const second = b.submit(Float32Array.of(2, 0), ctl.signal);
    ctl.abort(new Error('gave up'));
    await expect(second).rejects.toThrow('gave up');
    await first;
    await b.idle();
    expect(sizes).toEqual([1]);
  });

  it('rejects inputs of the wrong length', async () => {
    const b = new MicroBatcher(fakeRun([]), 2);
    await expect(b.submit(new Float32Array(3))).rejects.toThrow(/expected 2/);
  });
});

describe('MicroBatcher buffers', () => {
  it('reuses pooled inputs and the packed batch, and every pass still sees its own rows', async () => {
    const seen: number[][] = [];
    const run = async (batch: Float32Array, n: number): Promise<Prediction[]> => {
      seen.push(Array.from(batch));
      return Array.from({ length: n }, (_, i) => ({ label: '', index: batch[i * 2]!, probabilities: [] }));
    };
    const b = new MicroBatcher(run, 2, { maxBatchSize: 4, maxWaitMs: 0 });
    const submit = (v: number) => {
      const input = b.inputBuffer();
      input.set([v, -v]);
      return b.submit(input);
    };
    const first = [b.inputBuffer(), b.inputBuffer(), b.inputBuffer()];
    first.forEach((x, i) => x.set([i + 1, -(i + 1)]));
    expect((await Promise.all(first.map((x) => b.submit(x)))).map((p) => p.index)).toEqual([1, 2, 3]);
    // Those three buffers are back in the pool: the next inputs are the same objects.
    const again = [b.inputBuffer(), b.inputBuffer(), b.inputBuffer()];
    expect(new Set([...first, ...again]).size).toBe(3);
    again.forEach((x) => void b.submit(x.fill(0))); // run them: back to the pool
    await b.idle();
    // A smaller batch after a bigger one: the reused pack holds exactly its rows, none left over.
    expect((await Promise.all([submit(7), submit(8)])).map((p) => p.index)).toEqual([7, 8]);
    expect(seen.at(-1)).toEqual([7, -7, 8, -8]);
    // A caller's own array is never recycled.
    const own = Float32Array.of(5, -5);
    await b.submit(own);
    expect(b.inputBuffer()).not.toBe(own);
  });
});

describe('MicroBatcher wait', () => {
  it('waits maxWaitMs for mates only while more requests are arriving', async () => {
    let arriving = 0;
    const b = new MicroBatcher(fakeRun([], 0), 2, { maxBatchSize: 8, maxWaitMs: 200, arriving: () => arriving });
    let t = performance.now();
    await b.submit(Float32Array.of(1, 0));
    expect(performance.now() - t).toBeLessThan(100);
    await b.idle();
    arriving = 1;
    t = performance.now();
    await b.submit(Float32Array.of(1, 0));
    expect(performance.now() - t).toBeGreaterThanOrEqual(150);
  });

  it('after a pass, waits for requests still arriving, so the next pass is fuller', async () => {
    const sizes: number[] = [];
    let arriving = 0;
    const b = new MicroBatcher(fakeRun(sizes, 30), 2, { maxBatchSize: 8, maxWaitMs: 100, arriving: () => arriving });
    const first = b.submit(Float32Array.of(1, 0)); // runs at once: nothing else is arriving
    await new Promise((r) => setTimeout(r, 5));
    const second = b.submit(Float32Array.of(2, 0)); // queued during the first pass
    arriving = 2; // two more are being decoded when that pass ends
    setTimeout(() => {
      arriving = 0;
      void b.submit(Float32Array.of(3, 0));
      void b.submit(Float32Array.of(4, 0));
    }, 50);
    await Promise.all([first, second]);
    await b.idle();
    expect(sizes).toEqual([1, 3]);
  });

  it('lets the event loop turn between passes, so answers go out before the next pass blocks', async () => {
    // A blocking model (as wasm is): resolves at once, the work happened synchronously.
    const log: string[] = [];
    const b = new MicroBatcher(async (batch, n) => {
      log.push(`pass ${batch[0]}`);
      setImmediate(() => log.push(`io after ${batch[0]}`)); // stands for the sockets the pass kept waiting
      return Array.from({ length: n }, (_, i) => ({ label: '', index: batch[i * 2]!, probabilities: [] }));
    }, 2, { maxBatchSize: 1, arriving: () => 0 });
    await Promise.all([1, 2, 3].map((v) => b.submit(Float32Array.of(v, 0)).then(() => log.push(`answer ${v}`))));
    expect(log.slice(0, 4)).toEqual(['pass 1', 'answer 1', 'io after 1', 'pass 2']);
  });
});
