import http from 'node:http';

/**
 * POST over a plain socket: `chunks` are written one by one (chunked unless contentLength is set).
 * Resolves with the response even when the server answers early (413) and resets the upload,
 * which fetch() reports as a failure.
 */
export function rawPost(url: string, chunks: Uint8Array[], headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(url, { method: 'POST', headers }, (res) => {
      answered = true;
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
      res.on('error', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    let i = 0;
    const write = () => {
      while (i < chunks.length) {
        if (!req.write(chunks[i++]!)) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}
