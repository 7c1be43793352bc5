import autocannon from 'autocannon';
import { readFile } from 'node:fs/promises';
import { describe, expect, inject, it } from 'vitest';
import { bearPhotos } from './test-support/fixtures.js';
import { spawnServer } from './test-support/spawn-server.js';

// Concurrent uploads of real bear photos on 127.0.0.1, bounded in time: BEARS_LOADTEST_SECONDS
// (default 15 here; `npm run loadtest` runs the 60 s).
const SECONDS = Number(process.env.BEARS_LOADTEST_SECONDS ?? 15);

interface Health {
  numTensors: number;
  memory: { rssBytes: number };
}

describe('load test', () => {
  it(`${SECONDS} s of concurrent uploads: 0 errors, flat tensors and RSS`, async () => {
    const photos = await Promise.all([...(await bearPhotos('grizzly', 3)), ...(await bearPhotos('black', 3)), ...(await bearPhotos('teddy', 3))].map((f) => readFile(f)));
    const server = await spawnServer([inject('modelDir'), '--port', '0', '--quiet']);
    const base = `http://127.0.0.1:${server.port}`;
    const health = async () => (await (await fetch(`${base}/health`)).json()) as Health;
    try {
      // Warm up every batch size the run will see, so the wasm heap has reached its working size.
      for (let i = 0; i < 3; i++) await Promise.all(photos.map((p) => fetch(`${base}/predict`, { method: 'POST', body: p, headers: { 'content-type': 'image/jpeg' } })));
      const before = await health();
      const samples: number[] = [];
      const timer = setInterval(() => void health().then((h) => samples.push(h.memory.rssBytes)), Math.max(1000, (SECONDS * 1000) / 8));
      const result = await autocannon({
        url: `${base}/predict`,
        connections: 8,
        duration: SECONDS,
        requests: photos.map((body) => ({ method: 'POST', path: '/predict', headers: { 'content-type': 'image/jpeg' }, body })),
      });
      clearInterval(timer);
      const after = await health();
      const ok = result['2xx'];
      console.log(JSON.stringify({ seconds: SECONDS, requests: result.requests.total, ok, non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts, p50_ms: result.latency.p50, p99_ms: result.latency.p99, req_per_s: result.requests.average, tensors: [before.numTensors, after.numTensors], rss_mb: [before.memory.rssBytes, ...samples, after.memory.rssBytes].map((b) => Math.round(b / 2 ** 20)) }));
      expect(ok).toBeGreaterThan(SECONDS); // well over 1 prediction per second even on a loaded machine
      expect(result.errors).toBe(0);
      expect(result.timeouts).toBe(0);
      expect(result.non2xx).toBe(0);
      expect(after.numTensors).toBe(before.numTensors);
      // Flat RSS: the second half of the run grows by less than 10% (or 40 MB) over the first sample.
      const first = samples[0] ?? before.memory.rssBytes;
      expect(after.memory.rssBytes - first).toBeLessThan(Math.max(0.1 * first, 40 * 2 ** 20));
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, (SECONDS + 120) * 1000);
});
