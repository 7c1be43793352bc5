import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

/**
 * Cross-origin isolation: with these two headers the page gets SharedArrayBuffer, so
 * tfjs-backend-wasm can load its threaded build. Any host serving dist/ should send them too
 * (see README: Hosting).
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** The pretrained MobileNet body for in-browser training: the repo's ../shared copy, never committed. */
const SHARED_BODY = resolve(__dirname, '../../../shared/models/mobilenet_v1_0.75_224');

/** In dev, /body/ comes straight from ../shared when scripts/make-demo-model.sh has not copied it to public/. */
function sharedBody(): Plugin {
  return {
    name: 'bears-shared-body',
    configureServer(server) {
      server.middlewares.use('/body/', (req, res, next) => {
        if (existsSync(resolve(__dirname, 'public/body/model.json'))) return next();
        const file = normalize(join(SHARED_BODY, decodeURIComponent((req.url ?? '/').split('?')[0]!)));
        if (!file.startsWith(SHARED_BODY + sep) || !existsSync(file) || !statSync(file).isFile()) return next();
        res.setHeader('Content-Type', extname(file) === '.json' ? 'application/json' : 'application/octet-stream');
        createReadStream(file).pipe(res);
      });
    },
  };
}

export default defineConfig({
  base: './',
  plugins: [sharedBody()],
  server: { headers: ISOLATION_HEADERS, host: '127.0.0.1' },
  preview: { headers: ISOLATION_HEADERS, host: '127.0.0.1' },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
});
