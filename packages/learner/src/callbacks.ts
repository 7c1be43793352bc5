import type { EpochRecord } from './recorder.js';

/** What a callback sees. `learner` is typed loosely to avoid an import cycle; it is the running Learner. */
export interface FitEvent {
  learner: unknown;
  /** 0-based epoch within this fit, and the fit's epoch count. */
  epoch: number;
  epochs: number;
  /** 0-based batch within the epoch, and batches per epoch (after batch events). */
  batch?: number;
  batches?: number;
  /** Loss of the last batch. */
  loss?: number;
  lrs?: number[];
  record?: EpochRecord;
  /** Set on onFitEnd when training stopped early, with why. */
  stopped?: string;
}

/** Hooks into fit(); each may be async. Return 'stop' from a hook to end training after it. */
export interface Callback {
  name?: string;
  onFitBegin?(e: FitEvent): void | 'stop' | Promise<void | 'stop'>;
  onEpochBegin?(e: FitEvent): void | 'stop' | Promise<void | 'stop'>;
  onBatchEnd?(e: FitEvent): void | 'stop' | Promise<void | 'stop'>;
  onEpochEnd?(e: FitEvent): void | 'stop' | Promise<void | 'stop'>;
  onFitEnd?(e: FitEvent): void | Promise<void>;
}

/** A one-line progress bar per epoch (fastai's progress bar), redrawn in place on a TTY. */
export function progressCallback(write?: (s: string) => void): Callback {
  // Node's stderr when there is one; browsers and Workers get one console line per update.
  const stderr = (globalThis as { process?: { stderr?: { isTTY?: boolean; write(s: string): unknown } } }).process?.stderr;
  const tty = !!stderr?.isTTY;
  const out = write ?? (stderr ? (s: string) => void stderr.write(s) : (s: string) => console.log(s.trimEnd()));
  let last = 0;
  return {
    name: 'progress',
    onBatchEnd(e) {
      const now = Date.now();
      const done = (e.batch ?? 0) + 1;
      const total = e.batches ?? done;
      if (done < total && now - last < (tty ? 200 : 5000)) return;
      last = now;
      const width = 30;
      const filled = Math.round((done / Math.max(1, total)) * width);
      const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
      out(`${tty ? '\r' : ''}epoch ${e.epoch + 1}/${e.epochs} [${bar}] ${done}/${total} loss ${(e.loss ?? NaN).toFixed(4)}${tty ? '' : '\n'}`);
      if (tty && done === total) out('\r' + ' '.repeat(80) + '\r');
    },
  };
}

/**
 * Saves a checkpoint (weights, optimizer state, recorder, where the schedule is) after every epoch,
 * so an interrupted fit can resume with `fitOneCycle(..., { resume: name })`. With `monitor`, only
 * improvements of that metric (or 'valid_loss') are saved, under `${name}`.
 */
export function checkpointCallback(name: string, options: { monitor?: string } = {}): Callback {
  let best: number | undefined;
  return {
    name: 'checkpoint',
    async onEpochEnd(e) {
      const learner = e.learner as { save(name: string): Promise<string>; metricHigherIsBetter(name: string): boolean };
      if (options.monitor && e.record) {
        const v = options.monitor === 'valid_loss' ? e.record.validLoss : e.record.metrics[options.monitor];
        if (v === undefined) throw new Error(`checkpointCallback: no metric named '${options.monitor}' (have valid_loss and ${Object.keys(e.record.metrics).join(', ')})`);
        const higher = options.monitor !== 'valid_loss' && learner.metricHigherIsBetter(options.monitor);
        if (best !== undefined && (higher ? v <= best : v >= best)) return;
        best = v;
      }
      await learner.save(name);
    },
  };
}
