import { downloadImages } from '@bears/data/node';
import { existingFile, num, requirePositional } from '../args.js';
import { CliError } from '../cli-error.js';
import type { Command } from '../command.js';

export const download: Command = {
  name: 'download',
  summary: 'download images from a URL list (resumable, with a manifest)',
  usage: 'bears download <urls-file> <dest-dir> [--max-images N] [--concurrency N] [--timeout-ms N]',
  details: [
    '<urls-file>          one URL per line (blank lines and duplicates ignored) or a CSV with a url column',
    '<dest-dir>           where images go, as 00000000.jpg, 00000001.png, ... (created if missing)',
    '--max-images N       stop after N images (default 1000)',
    '--concurrency N      downloads at once (default 8)',
    '--timeout-ms N       per-request timeout (default 4000)',
    '--retries N          extra attempts after a retryable failure (default 2)',
  ],
  examples: [
    'bears download urls_teddy.csv data/bears/teddy',
    'bears download urls_black.txt data/bears/black --max-images 200 --json',
  ],
  options: {
    'max-images': { type: 'string' },
    concurrency: { type: 'string' },
    'timeout-ms': { type: 'string' },
    retries: { type: 'string' },
  },
  async run({ positionals, values }, out) {
    const options = {
      maxImages: num(values['max-images'], 'max-images', { int: true, min: 1 }),
      concurrency: num(values.concurrency, 'concurrency', { int: true, min: 1, max: 64 }),
      timeoutMs: num(values['timeout-ms'], 'timeout-ms', { int: true, min: 1 }),
      retries: num(values.retries, 'retries', { int: true, min: 0, max: 10 }),
    };
    const urls = existingFile(requirePositional(positionals, 0, 'urls-file'), 'URL list');
    const dest = requirePositional(positionals, 1, 'dest-dir');
    let bar: ReturnType<typeof out.progress> | undefined;
    const summary = await downloadImages(urls, dest, {
      ...options,
      onProgress: (p) => {
        bar ??= out.progress('download', p.total, 'url');
        bar.update(p.done, `ok ${p.ok + p.existing} failed ${p.failed}`);
      },
    });
    bar?.done();
    const failed = summary.results.filter((r) => r.status === 'failed');
    out.print(`${summary.ok} downloaded, ${summary.existing} already there, ${summary.failed} failed${summary.notAttempted ? `, ${summary.notAttempted} not attempted (max images reached)` : ''}`);
    for (const f of failed.slice(0, 20)) out.print(`  failed ${f.url}: ${f.error ?? 'unknown error'}`);
    if (failed.length > 20) out.print(`  ... ${failed.length - 20} more in ${summary.manifestFile}`);
    out.print(`manifest: ${summary.manifestFile}`);
    out.result({
      dest: summary.destDir,
      manifest: summary.manifestFile,
      total: summary.total,
      ok: summary.ok,
      existing: summary.existing,
      failed: failed.map((f) => ({ url: f.url, error: f.error ?? null })),
      not_attempted: summary.notAttempted,
    });
    if (summary.ok + summary.existing === 0 && summary.total > 0) throw new CliError(`no image could be downloaded (${summary.failed} failed; see ${summary.manifestFile})`);
  },
};
