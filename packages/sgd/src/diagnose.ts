/**
 * The lesson's "things that can go wrong", read off a training history: learning rate too high
 * (validation loss explodes), too low (error improves very slowly and training loss stays above
 * validation loss), too few epochs (not fitted enough), too many epochs (error improves, then worsens).
 */

/**
 * One epoch of a training run: what @bears/learner's recorder keeps and fitOneCycle returns (the one
 * definition; the learner re-exports it).
 */
export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  validLoss: number;
  metrics: Record<string, number>;
  /** Seconds. */
  time: number;
}

/** One row diagnoseHistory reads: an EpochRecord, or fastai's column names (train_loss, ...). */
export interface HistoryRow {
  epoch?: number;
  trainLoss?: number;
  validLoss?: number;
  errorRate?: number;
  accuracy?: number;
  lr?: number | number[];
  train_loss?: number;
  valid_loss?: number;
  error_rate?: number;
  metrics?: Record<string, number>;
}

export type FindingKind = 'lr-too-high' | 'lr-too-low' | 'too-few-epochs' | 'too-many-epochs';

export interface Finding {
  kind: FindingKind;
  /** What the history shows, with the numbers. */
  message: string;
  /** What the lesson says to do about it. */
  advice: string;
  /** The epoch (as recorded, else its index) where it shows. */
  epoch: number;
}

export interface DiagnoseOptions {
  /** A validation loss above this many times the reference (that epoch's training loss, or the best earlier validation loss) has exploded. */
  explodeFactor?: number;
  /** Mean relative decrease of the training loss per epoch below which training counts as "very slow". */
  slowRate?: number;
  /** The error must get worse than best * (1 + relTol) + absTol to count as getting worse. */
  relTol?: number;
  absTol?: number;
}

interface Row {
  epoch: number;
  train: number;
  valid: number;
  /** Error rate, 1 - accuracy, or NaN when the history has neither. */
  error: number;
  lr?: number | number[];
}

/** Findings for a per-epoch history, most serious first; an empty array means nothing looks wrong. */
export function diagnoseHistory(history: HistoryRow[] | { epochs?: HistoryRow[]; history?: HistoryRow[] }, options: DiagnoseOptions = {}): Finding[] {
  const { explodeFactor = 10, slowRate = 0.05, relTol = 0.1, absTol = 0.005 } = options;
  const rows = normalize(history);
  if (rows.length === 0) return [];
  const fmt = (v: number) => (!Number.isFinite(v) ? String(v) : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : v.toFixed(4));
  const last = rows[rows.length - 1]!;

  // 1. Learning rate too high: a loss that is not finite, or that jumps by an order of magnitude.
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const prevValid = Math.min(...rows.slice(0, i).map((p) => p.valid).filter(Number.isFinite));
    const prevTrain = Math.min(...rows.slice(0, i).map((p) => p.train).filter(Number.isFinite));
    const ref = Math.max(r.train, Number.isFinite(prevValid) ? prevValid : 0);
    const validBlewUp = !Number.isFinite(r.valid) || (ref > 0 && r.valid > explodeFactor * ref);
    const trainBlewUp = !Number.isFinite(r.train) || (Number.isFinite(prevTrain) && prevTrain > 0 && r.train > explodeFactor * prevTrain);
    if (validBlewUp || trainBlewUp) {
      const what = validBlewUp ? `the validation loss exploded to ${fmt(r.valid)}` : `the training loss blew up to ${fmt(r.train)}`;
      return [
        {
          kind: 'lr-too-high',
          epoch: r.epoch,
          message:
            `Learning rate too high: at epoch ${r.epoch} ${what} (training loss ${fmt(r.train)}, validation loss ${fmt(r.valid)})` +
            `${lrText(r)}. Losses are normally well under 1; once the validation loss is this high it's too late, training cannot undo it.`,
          advice:
            'Go back and start again: re-create the learner (or reload the weights saved before this fit) and train with a lower learning rate, ' +
            'e.g. 10x lower, or one picked with lrFind well before the loss shoots up.',
        },
      ];
    }
  }

  const findings: Finding[] = [];
  const hasError = rows.every((r) => Number.isFinite(r.error));
  const metric = hasError ? rows.map((r) => r.error) : rows.map((r) => r.valid);
  const metricName = hasError ? 'error rate' : 'validation loss';

  // 2. Too many epochs: the error improves for a while and then gets worse (the only real sign of overfitting).
  let best = 0;
  for (let i = 1; i < metric.length; i++) if (metric[i]! < metric[best]!) best = i;
  const worse = metric[metric.length - 1]! > metric[best]! * (1 + relTol) + absTol;
  if (best >= 1 && best < rows.length - 1 && metric[best]! < metric[0]! && worse) {
    findings.push({
      kind: 'too-many-epochs',
      epoch: rows[best]!.epoch,
      message:
        `Too many epochs: the ${metricName} improved from ${fmt(metric[0]!)} to ${fmt(metric[best]!)} at epoch ${rows[best]!.epoch}, then got worse, ` +
        `${fmt(metric[metric.length - 1]!)} at epoch ${last.epoch}. That is overfitting (a training loss below the validation loss is not; an error rate that gets worse is).`,
      advice:
        `Train for fewer epochs (about ${best + 1} here), or keep the model from its best epoch; more data, data augmentation or more weight decay also help.`,
    });
    return findings;
  }

  // 3. Not fitted enough: the training loss is still above the validation loss at the end.
  if (last.train > last.valid) {
    const n = rows.length;
    const first = rows[0]!;
    const rate = n >= 2 && first.train > 0 ? (first.train - last.train) / first.train / (n - 1) : Number.NaN;
    if (n >= 2 && rate < slowRate) {
      findings.push({
        kind: 'lr-too-low',
        epoch: last.epoch,
        message:
          `Learning rate too low: over ${n} epochs the ${metricName} improved very slowly (${fmt(metric[0]!)} -> ${fmt(metric[n - 1]!)}) and the training loss barely moved ` +
          `(${fmt(first.train)} -> ${fmt(last.train)}, ${(rate * 100).toFixed(1)}% per epoch), still above the validation loss (${fmt(last.valid)})${lrText(last)}. ` +
          'A training loss above the validation loss means the model has not fitted enough.',
        advice:
          'Train with a higher learning rate (try 10x higher, or pick one with lrFind from the steep part of the curve). ' +
          'Besides taking a really long time, a low learning rate gives the model too many looks at each image, so it may overfit.',
      });
    } else {
      findings.push({
        kind: 'too-few-epochs',
        epoch: last.epoch,
        message:
          `Too few epochs: after ${n} epoch${n === 1 ? '' : 's'} the training loss (${fmt(last.train)}) is still above the validation loss (${fmt(last.valid)}), ` +
          `so the model has not fitted enough${hasError ? ` (error rate ${fmt(last.error)})` : ''}.`,
        advice: 'Train for more epochs. If more epochs help a lot, the learning rate may be too low as well: try a higher one too.',
      });
    }
  }
  return findings;
}

function lrText(r: Row): string {
  if (r.lr === undefined) return '';
  const lrs = Array.isArray(r.lr) ? r.lr : [r.lr];
  return ` at lr ${lrs.map((v) => v.toExponential(1)).join('/')}`;
}

function normalize(history: unknown): Row[] {
  const list = Array.isArray(history)
    ? history
    : history && typeof history === 'object'
      ? ((history as { epochs?: unknown }).epochs ?? (history as { history?: unknown }).history)
      : undefined;
  if (!Array.isArray(list)) throw new Error('diagnoseHistory: expected an array of per-epoch records ({ trainLoss, validLoss, errorRate?, lr? })');
  return list.map((raw, i) => {
    if (!raw || typeof raw !== 'object') throw new Error(`diagnoseHistory: epoch ${i} is not an object`);
    const r = raw as HistoryRow;
    const m = r.metrics ?? {};
    const train = r.trainLoss ?? r.train_loss;
    const valid = r.validLoss ?? r.valid_loss;
    if (typeof train !== 'number' || typeof valid !== 'number') {
      throw new Error(`diagnoseHistory: epoch ${i} needs numeric trainLoss and validLoss, got ${JSON.stringify(raw)}`);
    }
    const err = r.errorRate ?? r.error_rate ?? m.errorRate ?? m.error_rate;
    const acc = r.accuracy ?? m.accuracy;
    const error = typeof err === 'number' ? err : typeof acc === 'number' ? 1 - acc : Number.NaN;
    return { epoch: r.epoch ?? i, train, valid, error, lr: r.lr };
  });
}
