/**
 * Where a command writes. Results go to stdout (a table for people, or one JSON object as the last
 * line with --json); logs and progress bars go to stderr so `--json | jq` always works.
 */
export interface Output {
  readonly json: boolean;
  /** --verbose: details most runs don't need (why a backend was skipped, ...). */
  readonly verbose: boolean;
  /** A line for people on stderr. */
  log(message: string): void;
  /** A line on stderr under --verbose only. */
  detail(message: string): void;
  /** Human-readable result on stdout (suppressed with --json). */
  print(message: string): void;
  /** The machine-readable result: the last line of stdout with --json. */
  result(value: unknown): void;
  /**
   * A progress bar on stderr; `unit` names what is counted (for the rate). A transient bar is erased
   * when done and prints nothing without a TTY (for steps whose result is printed anyway: an epoch's row).
   */
  progress(label: string, total: number, unit?: string, options?: { transient?: boolean }): Progress;
}

export interface Progress {
  tick(n?: number, note?: string): void;
  update(done: number, note?: string): void;
  /** The step completed: ends the bar at the total. */
  done(note?: string): void;
  /** The step ended early: ends the bar at the count reached. */
  stop(note?: string): void;
}

export interface Streams {
  stdout: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(s: string): unknown; isTTY?: boolean; columns?: number };
}

export interface OutputOptions {
  json?: boolean;
  verbose?: boolean;
  /** Injected clock for tests (ms). */
  now?: () => number;
}

export function createOutput(options: OutputOptions = {}, streams: Streams = process): Output {
  const json = Boolean(options.json);
  const log = (m: string) => void streams.stderr.write(`${m}\n`);
  return {
    json,
    verbose: Boolean(options.verbose),
    log,
    detail: (m) => {
      if (options.verbose) log(m);
    },
    print: (m) => {
      if (!json) streams.stdout.write(`${m}\n`);
    },
    result: (v) => {
      if (json) streams.stdout.write(`${JSON.stringify(v)}\n`);
    },
    progress: (label, total, unit, opts) => progressBar(label, total, streams.stderr, { unit, now: options.now, transient: opts?.transient }),
  };
}

/** mm:ss (or h:mm:ss), fastprogress style. */
export function clock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

function rateText(done: number, secs: number, unit: string): string {
  if (secs <= 0 || done <= 0) return `-- ${unit}/s`;
  const r = done / secs;
  return r >= 1 ? `${r.toFixed(r >= 100 ? 0 : 1)} ${unit}/s` : `${(secs / done).toFixed(1)} s/${unit}`;
}

/**
 * fastprogress's bar on a TTY, redrawn in place at most every 100 ms:
 * `features  ████████░░░░░░░░  312/986 32% [00:20<00:43, 15.4 img/s]`.
 * When stderr is a file or a pipe (CI logs), one line per phase, when it ends. Ends by itself at the total.
 */
export function progressBar(label: string, total: number, stream: Streams['stderr'], options: { unit?: string; now?: () => number; transient?: boolean } = {}): Progress {
  const tty = Boolean(stream.isTTY);
  const now = options.now ?? Date.now;
  const unit = options.unit ?? 'it';
  const width = 25;
  const started = now();
  let done = 0;
  let lastDraw = -Infinity;
  let finished = false;
  const draw = (note = '', final = false) => {
    if (finished) return;
    const t = now();
    if (!final && t - lastDraw < 100) return;
    lastDraw = t;
    const secs = (t - started) / 1000;
    if (tty && final && options.transient) {
      stream.write('\r\x1b[K');
    } else if (tty) {
      const frac = total > 0 ? Math.min(1, done / total) : 1;
      const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '░');
      const eta = done > 0 ? (secs / done) * Math.max(0, total - done) : NaN;
      const line = `${label}  ${bar}  ${done}/${total} ${Math.floor(frac * 100)}% [${clock(secs)}<${clock(eta)}, ${rateText(done, secs, unit)}]${note ? ` ${note}` : ''}`;
      const cols = stream.columns || 100;
      // \x1b[K clears what a longer previous line left behind.
      stream.write(`\r${line.slice(0, Math.max(20, cols - 1))}\x1b[K${final ? '\n' : ''}`);
    } else if (final && !options.transient) {
      stream.write(`${label} ${done}/${total} in ${clock(secs)} (${rateText(done, secs, unit)})${note ? ` ${note}` : ''}\n`);
    }
    if (final) finished = true;
  };
  return {
    // Reaching the total ends the bar at once, before whatever the step prints next (an epoch's row).
    tick(n = 1, note) {
      done += n;
      draw(note, total > 0 && done >= total);
    },
    update(d, note) {
      done = d;
      draw(note, total > 0 && done >= total);
    },
    done(note) {
      done = Math.max(done, total);
      draw(note, true);
    },
    // Ends at the count reached: a step that stops early (an lr sweep whose loss exploded) says where.
    stop(note) {
      draw(note, true);
    },
  };
}

/** Formats rows as an aligned text table (fastai's per-epoch table style). */
export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => String(c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (c ?? '').padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
