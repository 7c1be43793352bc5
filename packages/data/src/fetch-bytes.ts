/** A failed fetch: says why, and whether trying again could help (network error, timeout, 5xx, 429, cut-off body). */
export class FetchError extends Error {
  constructor(message: string, readonly retryable: boolean, readonly httpStatus?: number) {
    super(message);
    this.name = 'FetchError';
  }
}

export interface FetchBytesOptions {
  /** Whole request, headers and body (default 30 s). */
  timeoutMs?: number;
  /** Refuse a larger body, by Content-Length or while streaming (default 512 MB). */
  maxBytes?: number;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface FetchedBytes {
  bytes: Uint8Array;
  httpStatus: number;
  finalUrl: string;
}

/**
 * The one fetch of the monorepo (Web fetch: Node, browsers, Workers): a timeout, a size limit, a
 * check that the whole body arrived, and errors that say which of these failed.
 */
export async function fetchBytes(url: URL | string, options: FetchBytesOptions = {}): Promise<FetchedBytes> {
  const opts = { timeoutMs: options.timeoutMs ?? 30_000, maxBytes: options.maxBytes ?? 512 * 1024 * 1024, headers: options.headers ?? {}, signal: options.signal };
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; controller.abort(); }, opts.timeoutMs);
  const onOuterAbort = () => controller.abort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let received = 0;
  let expected: number | undefined;
  try {
    const res = await fetch(url, { headers: opts.headers, redirect: 'follow', signal: controller.signal });
    const status = res.status;
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      const retryable = status >= 500 || status === 429 || status === 408;
      throw new FetchError(`HTTP ${status}${res.statusText ? ` ${res.statusText}` : ''}`, retryable, status);
    }
    const lengthHeader = res.headers.get('content-length');
    expected = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
    if (expected !== undefined && expected > opts.maxBytes) {
      await res.body?.cancel().catch(() => {});
      throw new FetchError(`too large: Content-Length ${expected} bytes exceeds maxBytes ${opts.maxBytes}`, false, status);
    }
    const chunks: Uint8Array[] = [];
    if (res.body) {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received += value.byteLength;
        if (received > opts.maxBytes) {
          await reader.cancel().catch(() => {});
          throw new FetchError(`too large: body exceeds maxBytes ${opts.maxBytes}`, false, status);
        }
        chunks.push(value);
      }
    }
    if (expected !== undefined && received < expected) {
      throw new FetchError(`connection closed early (received ${received} of ${expected} bytes)`, true, status);
    }
    if (received === 0) throw new FetchError('empty response body', false, status);
    const bytes = new Uint8Array(received);
    let offset = 0;
    for (const c of chunks) { bytes.set(c, offset); offset += c.byteLength; }
    return { bytes, httpStatus: status, finalUrl: res.url || String(url) };
  } catch (err) {
    if (err instanceof FetchError) throw err;
    if (timedOut) throw new FetchError(`timed out after ${opts.timeoutMs} ms`, true);
    if (opts.signal?.aborted) throw new FetchError('aborted', false);
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (expected !== undefined && received < expected) {
      throw new FetchError(`connection closed early (received ${received} of ${expected} bytes)`, true);
    }
    const cause = e.cause?.code ?? e.cause?.message;
    if (/redirect/i.test(e.cause?.message ?? '')) throw new FetchError(`too many redirects (${e.cause?.message})`, false);
    throw new FetchError(`network error: ${e.message}${cause ? ` (${cause})` : ''}`, true);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onOuterAbort);
  }
}
