// Extracts preds + features + facts for the bears data once and caches them (bench and tuning).
import '@bears/backend-wasm';
import { useBackend } from '@bears/backend';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { predictFolder } from '../node.js';
import type { ImageFacts, Preds } from '../types.js';

export interface Cached {
  preds: Preds;
  facts: ImageFacts[];
}

export async function extractCached(modelDir: string, dataDir: string, cacheFile: string): Promise<Cached> {
  await useBackend();
  if (existsSync(cacheFile)) {
    const j = JSON.parse(await readFile(cacheFile, 'utf8'));
    return {
      preds: { ...j.preds, probs: Float32Array.from(j.preds.probs), targets: Int32Array.from(j.preds.targets), losses: Float32Array.from(j.preds.losses), features: Float32Array.from(j.preds.features) },
      facts: j.facts,
    };
  }
  const t0 = Date.now();
  const r = await predictFolder(modelDir, dataDir, { onProgress: (p) => process.stderr.write(`\r${p.phase} ${p.done}/${p.total}  `) });
  process.stderr.write(`\nextracted ${r.preds.items.length} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  r.model.dispose();
  const p = r.preds;
  await writeFile(cacheFile, JSON.stringify({ preds: { ...p, probs: Array.from(p.probs), targets: Array.from(p.targets), losses: Array.from(p.losses!), features: Array.from(p.features!) }, facts: r.facts }));
  return r;
}
