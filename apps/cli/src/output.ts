/**
 * Where a command writes. Results go to stdout (a table for people, or one JSON object as the last
 * line with --json); logs and progress bars go to stderr so `--json | jq` always works.
 */
export interface Output {
  readonly json: boolean;
  /** A line for people on stderr. */
  log(message: string): void;
  /** Human-readable result on stdout (suppressed with --json). */
  print(message: string): void;
  /** The machine-readable result: the last line of stdout with --json. */
  result(value: unknown): void;
  progress(label: string, total: number): Progress;
}

export interface Progress {
  tick(n?: number, note?: string): void;
  update(done: number, note?: string): void;
  done(note?: string): void;
}

export interface Streams {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
}

export function createOutput(json: boolean, streams: Streams = process): Output {
  return {
    json,
    log: (m) => void streams.stderr.write(`${m}\n`),
    print: (m) => {
      if (!json) streams.stdout.write(`${m}\n`);
    },
    result: (v) => {
      if (json) streams.stdout.write(`${JSON.stringify(v)}\n`);
    },
    progress: (label, total) => progressBar(label, total, streams.stderr),
  };
}

/** A progress bar on a TTY; plain percentage lines (at most every 10%) when stderr is a file or pipe. */
export function progressBar(label: string, total: number, stream: Streams['stderr']): Progress {
  const tty = Boolean(stream.isTTY);
  const width = 30;
  let done = 0;
  let lastPct = -1;
  const started = Date.now();
  const render = (note = '', final = false) => {
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const pct = Math.floor(frac * 100);
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    if (tty) {
      const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '░');
      stream.write(`\r${label} ${bar} ${done}/${total} ${pct}% ${secs}s ${note}`.padEnd(100) + (final ? '\n' : ''));
    } else if (final || pct >= lastPct + 10) {
      lastPct = pct - (pct % 10);
      stream.write(`${label} ${done}/${total} (${pct}%) ${secs}s${note ? ` ${note}` : ''}\n`);
    }
  };
  return {
    tick(n = 1, note) {
      done += n;
      render(note);
    },
    update(d, note) {
      done = d;
      render(note);
    },
    done(note) {
      done = Math.max(done, total);
      render(note, true);
    },
  };
}

/** Formats rows as an aligned text table (fastai's per-epoch table style). */
export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => String(c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (c ?? '').padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
