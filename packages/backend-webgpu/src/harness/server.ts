import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
};

export interface StaticServer {
  /** Base URL, e.g. http://127.0.0.1:41234/ (127.0.0.1 is a secure context, so WebGPU is exposed). */
  url: string;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** In-memory files by URL path ('/conformance.js'). */
  files: Map<string, Uint8Array | string>;
  /** URL prefix -> directory on disk ('/wasm/' -> node_modules/@tensorflow/tfjs-backend-wasm/dist). */
  dirs?: Record<string, string>;
  /** Send COOP/COEP (default true). BEARS_BROWSER_ISOLATION=0 turns it off to compare single-threaded wasm. */
  isolate?: boolean;
}

/**
 * A loopback-only static server. It sends COOP/COEP so the page is cross-origin isolated:
 * SharedArrayBuffer then exists and tfjs-backend-wasm can use its threaded build, as a
 * production deployment should.
 */
export async function serveStatic({ files, dirs = {}, isolate = process.env.BEARS_BROWSER_ISOLATION !== '0' }: ServeOptions): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (isolate) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    res.setHeader('Cache-Control', 'no-store');
    const body = files.get(path);
    if (body !== undefined) {
      res.writeHead(200, { 'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream' });
      res.end(body);
      return;
    }
    for (const [prefix, dir] of Object.entries(dirs)) {
      if (!path.startsWith(prefix)) continue;
      const file = normalize(join(dir, path.slice(prefix.length)));
      if (!file.startsWith(normalize(dir) + sep)) break; // no escaping the directory
      try {
        if (!statSync(file).isFile()) break;
      } catch {
        break;
      }
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
      createReadStream(file).pipe(res);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end(`not found: ${path}`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
