import { gradientDescent, lossAt, minibatchSgd, type LinearData, type LinearRun, type LinearStep } from '@bears/sgd';

/** Thrown inside onStep to end a run early; the training loop's finally blocks free its tensors. */
class Stopped extends Error {}

export interface StepperSettings {
  lr: number;
  /** n (all points) is full-batch gradient descent; less is minibatch SGD. */
  batchSize: number;
  /** Updates before the run ends (the lesson: 100). */
  steps: number;
}

/**
 * Drives @bears/sgd's own training loop one update at a time: the run is the library's
 * gradientDescent()/minibatchSgd(), and its onStep callback waits here until the page asks for
 * the next step (Step) or a timer does (Play).
 */
export class Stepper {
  readonly history: LinearStep[];
  private started = false;
  private finished = false;
  private stopped = false;
  private resume?: (go: boolean) => void;
  private playing = false;
  private run?: Promise<LinearRun | undefined>;

  constructor(
    private readonly data: LinearData,
    readonly settings: StepperSettings,
    private readonly onUpdate: (s: Stepper) => void,
    private readonly frameMs = 60,
  ) {
    const init = [-1, 1];
    this.history = [{ step: 0, epoch: 0, a: init, loss: lossAt(data, init) }];
  }

  get done(): boolean {
    return this.finished;
  }

  get isPlaying(): boolean {
    return this.playing;
  }

  get diverged(): boolean {
    const last = this.history[this.history.length - 1]!;
    return !Number.isFinite(last.loss) || last.a.some((v) => !Number.isFinite(v));
  }

  /** The run so far, shaped as the library's LinearRun so its plots and diagnosis apply. */
  partialRun(): LinearRun {
    const last = this.history[this.history.length - 1]!;
    const { lr, batchSize } = this.settings;
    return { method: batchSize >= this.data.n ? 'gd' : 'sgd', lr, batchSize: Math.min(batchSize, this.data.n), history: this.history, a: last.a, loss: last.loss, diverged: this.diverged };
  }

  step(): void {
    if (this.finished) return;
    if (!this.started) this.start();
    else this.continue(true);
  }

  play(on: boolean): void {
    if (this.finished) on = false;
    this.playing = on;
    if (on) this.step();
    this.onUpdate(this);
  }

  /** Ends the run; the stepper cannot be used again. */
  stop(): void {
    this.stopped = true;
    this.playing = false;
    this.continue(false);
  }

  /** Resolves when the run has ended (finished, diverged or stopped). */
  async settled(): Promise<void> {
    await this.run;
  }

  private continue(go: boolean): void {
    const r = this.resume;
    this.resume = undefined;
    r?.(go);
  }

  private start(): void {
    this.started = true;
    const { lr, batchSize, steps } = this.settings;
    const onStep = async (s: LinearStep): Promise<void> => {
      this.history.push(s);
      this.onUpdate(this);
      if (this.stopped || s.step >= steps) throw new Stopped();
      const go = this.playing
        ? await new Promise<boolean>((resolve) => {
            this.resume = resolve;
            // A pause in the meantime leaves this step waiting for the Step button instead.
            setTimeout(() => {
              if (this.resume === resolve && this.playing) this.continue(true);
            }, this.frameMs);
          })
        : await new Promise<boolean>((resolve) => (this.resume = resolve));
      if (!go || this.stopped) throw new Stopped();
    };
    const init = [-1, 1];
    const runner =
      batchSize >= this.data.n
        ? gradientDescent(this.data, { lr, steps, init, onStep })
        : minibatchSgd(this.data, { lr, batchSize, epochs: Math.ceil((steps * batchSize) / this.data.n), init, onStep });
    this.run = runner.then(
      (run) => run,
      (err) => {
        if (!(err instanceof Stopped)) throw err;
        return undefined;
      },
    ).finally(() => {
      this.finished = true;
      this.playing = false;
      this.onUpdate(this);
    });
  }
}
