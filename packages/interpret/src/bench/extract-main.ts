// npx vite-node src/bench/extract-main.ts <model> <data> <cache.json>: fills the feature cache.
import { extractCached } from './extract.js';

const [modelDir, dataDir, cache] = process.argv.slice(2);
await extractCached(modelDir!, dataDir!, cache!);
