import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ImageDecodeError, sniffImageType } from '@bears/backend';
import { sharpCodec } from '@bears/backend/node';
import { extensionFor, notImageReason } from './files.js';
import { isTempFile, writeFileAtomic } from './fs-utils.js';
import { readUrlList } from './url-list-file.js';
import { fetchBytes, FetchError } from './fetch-bytes.js';

export interface DownloadOptions {
  /** Downloads in flight at once (default 8). */
  concurrency?: number;
  /** Per-request limit in ms, headers and body together (default 4000). */
  timeoutMs?: number;
  /** Extra attempts after a retryable failure: network error, timeout, 5xx, 429, cut-off body (default 2). */
  retries?: number;
  /** First retry delay in ms; doubles per attempt (default 250). */
  backoffMs?: number;
  /** Largest body accepted, in bytes (default 20 MB). Bigger downloads are stopped early. */
  maxBytes?: number;
  /** Stop once this many images are in destDir from this list (default 1000). */
  maxImages?: number;
  /**
   * How downloaded bytes are checked before they are written: 'decode' fully decodes them with
   * sharp (catches truncated files), 'sniff' only checks the magic bytes (default 'decode').
   */
  validate?: 'decode' | 'sniff';
  /** Manifest path (default `<destDir>/download-manifest.json`). */
  manifestFile?: string;
  /** Called after each URL settles. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Cancels the run: in-flight requests are aborted, the manifest is written, the summary says aborted. */
  signal?: AbortSignal;
  /** Request headers (a browser-like User-Agent and Accept are sent by default). */
  headers?: Record<string, string>;
}

export type DownloadStatus = 'ok' | 'existing' | 'failed';

export interface DownloadResult {
  url: string;
  /** Position of the URL in the de-duplicated list. */
  index: number;
  status: DownloadStatus;
  /** File name inside destDir, for 'ok' and 'existing'. */
  file?: string;
  /** Why it failed, for 'failed'. */
  error?: string;
  /** HTTP status of the last attempt, when one came back. */
  httpStatus?: number;
  bytes?: number;
  format?: string;
  attempts?: number;
  /** Where redirects ended, when different from url. */
  finalUrl?: string;
}

export interface DownloadProgress {
  done: number;
  total: number;
  ok: number;
  existing: number;
  failed: number;
  result: DownloadResult;
}

export interface DownloadSummary {
  destDir: string;
  manifestFile: string;
  /** URLs in the list after removing blanks and duplicates. */
  total: number;
  /** Downloaded by this run. */
  ok: number;
  /** Already present from an earlier run (resumed). */
  existing: number;
  failed: number;
  /** URLs left alone because maxImages was reached (or the run was aborted). */
  notAttempted: number;
  aborted: boolean;
  /** One entry per attempted or existing URL, in list order. */
  results: DownloadResult[];
}

interface Manifest {
  version: 1;
  entries: DownloadResult[];
}

const DEFAULT_HEADERS: Record<string, string> = {
  'user-agent': 'Mozilla/5.0 (compatible; bears-data/0.1; +https://github.com/bears)',
  accept: 'image/avif,image/webp,image/png,image/jpeg,image/*;q=0.8,*/*;q=0.5',
};

/**
 * Downloads images from a URL list (an array, or a file: one URL per line, or a CSV with a url
 * column) into destDir as 00000000.jpg, 00000001.png, ... named by list position, with the
 * extension taken from the content. Never throws for a bad URL: each outcome is in the summary
 * and in the manifest, which also makes a second run skip what is already there.
 */
export async function downloadImages(urlsOrFile: string | readonly (string | URL)[], destDir: string, options: DownloadOptions = {}): Promise<DownloadSummary> {
  const concurrency = positiveInt(options.concurrency ?? 8, 'concurrency');
  const timeoutMs = positive(options.timeoutMs ?? 4000, 'timeoutMs');
  const retries = nonNegativeInt(options.retries ?? 2, 'retries');
  const backoffMs = nonNegative(options.backoffMs ?? 250, 'backoffMs');
  const maxBytes = positive(options.maxBytes ?? 20 * 1024 * 1024, 'maxBytes');
  const maxImages = positiveInt(options.maxImages ?? 1000, 'maxImages');
  const validate = options.validate ?? 'decode';
  const headers = { ...DEFAULT_HEADERS, ...lowerKeys(options.headers ?? {}) };

  const urls = typeof urlsOrFile === 'string' ? await readUrlList(urlsOrFile) : [...new Set(urlsOrFile.map((u) => String(u).trim()).filter(Boolean))];
  await fs.mkdir(destDir, { recursive: true });
  const manifestFile = options.manifestFile ?? path.join(destDir, 'download-manifest.json');
  await removeStaleTempFiles(destDir);

  // Resume: a URL already downloaded keeps its file; numbers in use are not handed out again.
  const previous = await readManifest(manifestFile);
  const byUrl = new Map(previous.entries.map((e) => [e.url, e]));
  const present = new Set(await fs.readdir(destDir));
  const usedNumbers = new Set<number>();
  const claimed = new Set<string>();
  for (const e of previous.entries) {
    if (e.file && present.has(e.file)) { usedNumbers.add(fileNumber(e.file)); claimed.add(e.file); }
  }
  // Files the manifest does not know (a crash before it was saved, or a folder fastai filled):
  // file N is taken to be list line N, as both number files by list position.
  const unclaimed = new Map<number, string>();
  for (const name of present) {
    if (!/^\d{8}\.[a-z]+$/.test(name)) continue;
    usedNumbers.add(fileNumber(name));
    if (!claimed.has(name)) unclaimed.set(fileNumber(name), name);
  }

  const results: Array<DownloadResult | undefined> = new Array(urls.length);
  const todo: number[] = [];
  let existing = 0;
  for (let i = 0; i < urls.length; i++) {
    const prev = byUrl.get(urls[i]!);
    if (prev && (prev.status === 'ok' || prev.status === 'existing') && prev.file && present.has(prev.file)) {
      results[i] = { ...prev, index: i, status: 'existing' };
      existing++;
    } else if (!prev?.file && unclaimed.has(i)) {
      results[i] = { url: urls[i]!, index: i, status: 'existing', file: unclaimed.get(i)! };
      unclaimed.delete(i);
      existing++;
    } else {
      todo.push(i);
    }
  }

  let ok = 0;
  let failed = 0;
  let done = existing;
  let inFlight = 0;
  let aborted = false;
  let cursor = 0;
  // Fallback numbers start past the list, so they never take another URL's list position.
  let nextFree = urls.length;
  const allocateNumber = (preferred: number): number => {
    if (!usedNumbers.has(preferred)) { usedNumbers.add(preferred); return preferred; }
    while (usedNumbers.has(nextFree)) nextFree++;
    usedNumbers.add(nextFree);
    return nextFree;
  };
  let lastWrite = 0;
  let writing: Promise<void> = Promise.resolve();
  const saveManifest = (force: boolean): Promise<void> => {
    const now = Date.now();
    if (!force && now - lastWrite < 500) return writing;
    lastWrite = now;
    // Keep entries for URLs not in this list, so runs with different lists into one folder lose nothing.
    const current = new Set(urls);
    const entries = [...previous.entries.filter((e) => !current.has(e.url)), ...results.filter((r): r is DownloadResult => !!r)];
    const text = JSON.stringify({ version: 1, entries } satisfies Manifest, null, 1);
    const write = writing.then(() => writeFileAtomic(manifestFile, text));
    // Interim saves are best effort; the final one (awaited below) reports a failure.
    writing = write.catch(() => {});
    return force ? write : writing;
  };

  const controller = new AbortController();
  const onAbort = () => { aborted = true; controller.abort(); };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  const worker = async (): Promise<void> => {
    for (;;) {
      if (aborted || cursor >= todo.length || existing + ok + inFlight >= maxImages) return;
      const i = todo[cursor++]!;
      inFlight++;
      const url = urls[i]!;
      const prev = byUrl.get(url);
      let result: DownloadResult;
      try {
        result = await downloadOne(url, i, prev?.file && present.has(prev.file) ? prev.file : undefined);
      } finally {
        inFlight--;
      }
      if (aborted && result.error === 'aborted') return;
      results[i] = result;
      if (result.status === 'ok') ok++;
      else failed++;
      done++;
      options.onProgress?.({ done, total: urls.length, ok, existing, failed, result });
      void saveManifest(false);
    }
  };

  const downloadOne = async (url: string, index: number, reuseFile: string | undefined): Promise<DownloadResult> => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return { url, index, status: 'failed', error: 'invalid URL', attempts: 0 };
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      return { url, index, status: 'failed', error: `unsupported protocol ${parsed.protocol}`, attempts: 0 };
    }
    let attempt = 0;
    for (;;) {
      attempt++;
      try {
        const { bytes, httpStatus, finalUrl } = await fetchBytes(parsed, { timeoutMs, maxBytes, headers, signal: controller.signal });
        const kind = sniffImageType(bytes);
        if (!kind) throw new FetchError(notImageReason(bytes), false, httpStatus);
        if (validate === 'decode') {
          try {
            // Decode at a small size: libjpeg still reads every scan, so truncation is caught cheaply.
            await sharpCodec.decodeRgb(bytes, { size: 32, fit: 'inside' });
          } catch (err) {
            throw new FetchError(err instanceof ImageDecodeError ? err.reason : `${kind} data is corrupt or truncated (${(err as Error).message})`, false, httpStatus);
          }
        }
        const number = reuseFile ? fileNumber(reuseFile) : allocateNumber(index);
        const file = `${String(number).padStart(8, '0')}${extensionFor(kind)}`;
        if (reuseFile && reuseFile !== file) await fs.rm(path.join(destDir, reuseFile), { force: true });
        await writeFileAtomic(path.join(destDir, file), bytes);
        return { url, index, status: 'ok', file, bytes: bytes.length, format: kind, httpStatus, attempts: attempt, ...(finalUrl !== url ? { finalUrl } : {}) };
      } catch (err) {
        const failure = err instanceof FetchError ? err : new FetchError((err as Error).message ?? String(err), false);
        if (aborted) return { url, index, status: 'failed', error: 'aborted', attempts: attempt };
        if (!failure.retryable || attempt > retries) {
          return { url, index, status: 'failed', error: failure.message, attempts: attempt, ...(failure.httpStatus ? { httpStatus: failure.httpStatus } : {}) };
        }
        await sleep(backoffMs * 2 ** (attempt - 1), controller.signal);
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, todo.length)) }, worker));
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await saveManifest(true);
  }
  const finalResults = results.filter((r): r is DownloadResult => !!r);
  return {
    destDir,
    manifestFile,
    total: urls.length,
    ok,
    existing,
    failed,
    notAttempted: urls.length - finalResults.length,
    aborted,
    results: finalResults,
  };
}

async function readManifest(file: string): Promise<Manifest> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, entries: [] };
    throw new Error(`Cannot read download manifest ${file}: ${(err as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as Manifest;
    if (!Array.isArray(parsed.entries)) throw new Error('no entries array');
    return parsed;
  } catch (err) {
    throw new Error(`Download manifest ${file} is not valid (${(err as Error).message}); move it away to start afresh`);
  }
}

async function removeStaleTempFiles(dir: string): Promise<void> {
  for (const name of await fs.readdir(dir)) {
    if (isTempFile(name)) await fs.rm(path.join(dir, name), { force: true });
  }
}

function fileNumber(file: string): number {
  const n = Number.parseInt(path.basename(file), 10);
  return Number.isFinite(n) ? n : -1;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); }
    signal.addEventListener('abort', done, { once: true });
  });
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

function positive(v: number, name: string): number {
  if (!(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw new RangeError(`${name} must be a positive number, got ${v}`);
  return v;
}
function nonNegative(v: number, name: string): number {
  if (!(typeof v === 'number' && v >= 0 && Number.isFinite(v))) throw new RangeError(`${name} must be >= 0, got ${v}`);
  return v;
}
function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}
function nonNegativeInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} must be an integer >= 0, got ${v}`);
  return v;
}
