import * as tf from '@tensorflow/tfjs-core';

/** A set of variables trained with its own learning rate and weight decay (fastai's layer groups). */
export type ParamGroup = { params: tf.Variable[]; lr?: number; wd?: number; name?: string };

/** Gradients keyed by variable, or by variable name (what `tf.variableGrads` returns). */
export type Gradients = Map<tf.Variable, tf.Tensor> | tf.NamedTensorMap;

export type OptimizerType = 'SGD' | 'Adam' | 'AdamW';

/** Saved optimizer state: plain JSON plus Float32Arrays, keyed by variable name. */
export interface OptimizerState {
  type: OptimizerType;
  /** Hyper-parameters shared by all groups (momentum or betas, eps, ...). */
  hyper: Record<string, number | boolean>;
  groups: Array<{ name?: string; lr: number; wd: number; params: string[] }>;
  /** Per variable: its update count and its slot tensors (momentum buffer, moving averages). */
  params: Record<string, { step: number; slots: Record<string, { shape: number[]; values: Float32Array }> }>;
}

interface Group {
  name?: string;
  params: tf.Variable[];
  lr: number;
  wd: number;
}

interface ParamState {
  step: number;
  slots: Map<string, tf.Variable>;
}

export interface BaseOptimizerOptions {
  /** Default learning rate for groups that give none. */
  lr: number;
  /** Default weight decay for groups that give none. */
  wd?: number;
  /**
   * Decoupled ("true") weight decay, p *= 1 - lr * wd before the step (fastai's true_wd, AdamW),
   * instead of L2 regularisation (wd * p added to the gradient).
   */
  decoupledWd?: boolean;
}

/**
 * Shared machinery: parameter groups, lookups of gradients, weight decay, per-variable slots,
 * state save and restore. Subclasses define the update of one variable.
 */
export abstract class Optimizer {
  abstract readonly type: OptimizerType;
  protected readonly groups: Group[];
  protected readonly state = new Map<tf.Variable, ParamState>();
  protected decoupledWd: boolean;
  private disposed = false;

  constructor(groups: ParamGroup[] | tf.Variable[], options: BaseOptimizerOptions, who: string) {
    checkNumber(who, 'lr', options.lr, 0);
    checkNumber(who, 'wd', options.wd ?? 0, 0);
    const list = normalizeGroups(groups, who);
    const seen = new Set<tf.Variable>();
    this.groups = list.map((g, gi) => {
      const label = g.name ?? `group ${gi}`;
      if (!g || !Array.isArray(g.params)) throw new Error(`${who}: ${label} needs a params array of tf.Variable`);
      for (const p of g.params) {
        if (!(p instanceof tf.Variable)) throw new Error(`${who}: ${label} holds something that is not a tf.Variable`);
        if (seen.has(p)) throw new Error(`${who}: variable '${p.name}' appears in more than one parameter group`);
        seen.add(p);
      }
      const lr = g.lr ?? options.lr;
      const wd = g.wd ?? options.wd ?? 0;
      checkNumber(who, `${label} lr`, lr, 0);
      checkNumber(who, `${label} wd`, wd, 0);
      return { name: g.name, params: [...g.params], lr, wd };
    });
    this.decoupledWd = options.decoupledWd ?? true;
  }

  /** Number of parameter groups. */
  get groupCount(): number {
    return this.groups.length;
  }

  /** Current learning rate of each group. */
  get lrs(): number[] {
    return this.groups.map((g) => g.lr);
  }

  /** Current weight decay of each group. */
  get wds(): number[] {
    return this.groups.map((g) => g.wd);
  }

  /** The parameter groups (a copy: variables, lr, wd, name). */
  getGroups(): Array<Required<Omit<ParamGroup, 'name'>> & { name?: string }> {
    return this.groups.map((g) => ({ name: g.name, params: [...g.params], lr: g.lr, wd: g.wd }));
  }

  /** Sets the learning rate: one number for every group, or one per group (a single-element array applies to all). */
  setLr(lr: number | number[]): void {
    this.setPerGroup('lr', lr);
  }

  /** Sets weight decay: one number for every group, or one per group. */
  setWd(wd: number | number[]): void {
    this.setPerGroup('wd', wd);
  }

  /** Sets the momentum (SGD) or beta1 (Adam, AdamW), as one-cycle does every step. */
  abstract setMomentum(beta1: number): void;

  /**
   * One optimizer step. Variables with no gradient in `grads`, or with `trainable` false, are left
   * alone (PyTorch's behaviour for params without .grad). Does not dispose the gradients.
   */
  applyGradients(grads: Gradients): void {
    if (this.disposed) throw new Error(`${this.type}: applyGradients() after dispose()`);
    const lookup = gradLookup(grads, this.type);
    for (const g of this.groups) {
      for (const p of g.params) {
        if (!p.trainable) continue;
        const grad = lookup(p);
        if (!grad) continue;
        if (grad.isDisposed) throw new Error(`${this.type}: the gradient for '${p.name}' is already disposed`);
        if (grad.size !== p.size || grad.shape.some((s, i) => s !== p.shape[i]) || grad.shape.length !== p.shape.length) {
          throw new Error(`${this.type}: gradient for '${p.name}' has shape [${grad.shape}], the variable has [${p.shape}]`);
        }
        const st = this.paramState(p);
        st.step += 1;
        tf.tidy(() => {
          let w: tf.Tensor = p;
          let gr: tf.Tensor = grad.dtype === 'float32' ? grad : tf.cast(grad, 'float32');
          if (g.wd !== 0) {
            if (this.decoupledWd) w = tf.mul(w, tf.scalar(1 - g.lr * g.wd));
            else gr = tf.add(gr, tf.mul(tf.scalar(g.wd), w));
          }
          p.assign(this.update(w, gr, st, g.lr));
        });
      }
    }
  }

  /** The new value of one variable, from its (weight-decayed) current value and gradient. Runs inside tf.tidy. */
  protected abstract update(w: tf.Tensor, grad: tf.Tensor, state: ParamState, lr: number): tf.Tensor;

  /** Hyper-parameters shared by all groups, for getState(). */
  protected abstract hyper(): Record<string, number | boolean>;
  protected abstract setHyper(h: Record<string, number | boolean>): void;

  protected slot(state: ParamState, name: string, like: tf.Tensor): tf.Variable {
    let s = state.slots.get(name);
    if (!s) {
      // tf.keep: slots are created inside the update's tidy but live as long as the optimizer.
      s = tf.keep(tf.variable(tf.zerosLike(like), false));
      state.slots.set(name, s);
    }
    return s;
  }

  private paramState(p: tf.Variable): ParamState {
    let st = this.state.get(p);
    if (!st) {
      st = { step: 0, slots: new Map() };
      this.state.set(p, st);
    }
    return st;
  }

  private setPerGroup(key: 'lr' | 'wd', v: number | number[]): void {
    const vals = Array.isArray(v) ? v : [v];
    if (vals.length !== 1 && vals.length !== this.groups.length) {
      throw new Error(`${this.type}.set${key === 'lr' ? 'Lr' : 'Wd'}: got ${vals.length} values for ${this.groups.length} parameter groups`);
    }
    vals.forEach((x, i) => checkNumber(this.type, `${key}[${i}]`, x, 0));
    this.groups.forEach((g, i) => (g[key] = vals.length === 1 ? vals[0]! : vals[i]!));
  }

  /** Snapshot of everything needed to resume: hyper-parameters, group lrs/wds, slot values. */
  async getState(): Promise<OptimizerState> {
    const params: OptimizerState['params'] = {};
    for (const g of this.groups) {
      for (const p of g.params) {
        const st = this.state.get(p);
        if (!st) continue;
        const slots: OptimizerState['params'][string]['slots'] = {};
        for (const [name, v] of st.slots) slots[name] = { shape: [...v.shape], values: new Float32Array(await v.data()) };
        params[p.name] = { step: st.step, slots };
      }
    }
    return {
      type: this.type,
      hyper: this.hyper(),
      groups: this.groups.map((g) => ({ ...(g.name !== undefined ? { name: g.name } : {}), lr: g.lr, wd: g.wd, params: g.params.map((p) => p.name) })),
      params,
    };
  }

  /**
   * Restores a getState() snapshot onto this optimizer's variables (matched by name). Throws,
   * changing nothing, if the type, the groups or a slot's shape do not match.
   */
  setState(state: OptimizerState): void {
    if (!state || typeof state !== 'object') throw new Error(`${this.type}.setState: expected an OptimizerState object`);
    if (state.type !== this.type) throw new Error(`${this.type}.setState: the state was saved by ${String(state.type)}, not ${this.type}`);
    if (!Array.isArray(state.groups) || state.groups.length !== this.groups.length) {
      throw new Error(`${this.type}.setState: the state has ${state.groups?.length} parameter groups, this optimizer ${this.groups.length}`);
    }
    const byName = new Map<string, tf.Variable>();
    for (const g of this.groups) for (const p of g.params) byName.set(p.name, p);
    // Validate everything first so a bad state leaves the optimizer untouched.
    for (const [name, ps] of Object.entries(state.params ?? {})) {
      const p = byName.get(name);
      if (!p) throw new Error(`${this.type}.setState: the state has slots for '${name}', which is not one of this optimizer's variables`);
      if (!Number.isInteger(ps?.step) || ps.step < 0) throw new Error(`${this.type}.setState: step of '${name}' must be an integer >= 0, got ${String(ps?.step)}`);
      for (const [slotName, s] of Object.entries(ps.slots)) {
        const size = s.shape.reduce((a, b) => a * b, 1);
        if (s.shape.length !== p.shape.length || s.shape.some((d, i) => d !== p.shape[i]) || s.values.length !== size) {
          throw new Error(`${this.type}.setState: slot '${slotName}' of '${name}' has shape [${s.shape}] (${s.values.length} values), the variable has [${p.shape}]`);
        }
      }
    }
    this.groups.forEach((g, i) => {
      const sg = state.groups[i]!;
      checkNumber(this.type, `state group ${i} lr`, sg.lr, 0);
      checkNumber(this.type, `state group ${i} wd`, sg.wd, 0);
    });
    this.setHyper(state.hyper ?? {});
    this.groups.forEach((g, i) => {
      g.lr = state.groups[i]!.lr;
      g.wd = state.groups[i]!.wd;
    });
    this.disposeSlots();
    for (const [name, ps] of Object.entries(state.params ?? {})) {
      const p = byName.get(name)!;
      const slots = new Map<string, tf.Variable>();
      for (const [slotName, s] of Object.entries(ps.slots)) {
        slots.set(slotName, tf.tidy(() => tf.variable(tf.tensor(s.values, s.shape, 'float32'), false)));
      }
      this.state.set(p, { step: ps.step, slots });
    }
  }

  /** Frees the slot variables (not the parameters). */
  dispose(): void {
    this.disposeSlots();
    this.disposed = true;
  }

  private disposeSlots(): void {
    for (const st of this.state.values()) for (const v of st.slots.values()) v.dispose();
    this.state.clear();
  }
}

export interface SGDOptions extends BaseOptimizerOptions {
  /** Momentum (PyTorch's form: buf = mom * buf + grad; p -= lr * buf). Default 0.9. */
  momentum?: number;
  /** Nesterov momentum: p -= lr * (grad + mom * buf). */
  nesterov?: boolean;
}

/** SGD with momentum, as torch.optim.SGD (dampening 0), with decoupled weight decay by default as fastai's true_wd. */
export class SGD extends Optimizer {
  readonly type = 'SGD' as const;
  momentum: number;
  nesterov: boolean;

  constructor(groups: ParamGroup[] | tf.Variable[], options: SGDOptions) {
    super(groups, options, 'SGD');
    this.momentum = options.momentum ?? 0.9;
    this.nesterov = options.nesterov ?? false;
    checkNumber('SGD', 'momentum', this.momentum, 0, 1);
    if (this.nesterov && this.momentum === 0) throw new Error('SGD: nesterov needs a momentum > 0');
  }

  setMomentum(beta1: number): void {
    checkNumber('SGD', 'momentum', beta1, 0, 1);
    this.momentum = beta1;
  }

  protected update(w: tf.Tensor, grad: tf.Tensor, state: ParamState, lr: number): tf.Tensor {
    // Momentum 0 is plain SGD (a buffer, if any, would be 0 * buf + grad anyway).
    if (this.momentum === 0) return tf.sub(w, tf.mul(tf.scalar(lr), grad));
    const hadBuf = state.slots.has('momentum');
    const buf = this.slot(state, 'momentum', w);
    // PyTorch: the first buffer is the gradient itself, then buf = mom * buf + grad.
    const next = hadBuf ? tf.add(tf.mul(tf.scalar(this.momentum), buf), grad) : grad;
    buf.assign(next);
    const dir = this.nesterov ? tf.add(grad, tf.mul(tf.scalar(this.momentum), next)) : next;
    return tf.sub(w, tf.mul(tf.scalar(lr), dir));
  }

  protected hyper() {
    return { momentum: this.momentum, nesterov: this.nesterov, decoupledWd: this.decoupledWd };
  }

  protected setHyper(h: Record<string, number | boolean>): void {
    if (typeof h.momentum === 'number') this.setMomentum(h.momentum);
    if (typeof h.nesterov === 'boolean') this.nesterov = h.nesterov;
    if (typeof h.decoupledWd === 'boolean') this.decoupledWd = h.decoupledWd;
  }
}

export interface AdamOptions extends BaseOptimizerOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
}

/**
 * Adam, as fastai and PyTorch compute it: m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2,
 * p -= lr / (1 - b1^t) * m / (sqrt(v / (1 - b2^t)) + eps).
 * Defaults are fastai's (lr 1e-3, betas 0.9/0.99, eps 1e-5); weight decay is L2 (added to the
 * gradient) unless `decoupledWd` is set: use AdamW for fastai's default.
 */
export class Adam extends Optimizer {
  readonly type: 'Adam' | 'AdamW' = 'Adam';
  beta1: number;
  beta2: number;
  eps: number;

  constructor(groups: ParamGroup[] | tf.Variable[], options: Partial<AdamOptions> = {}, who = 'Adam') {
    super(groups, { lr: options.lr ?? 1e-3, wd: options.wd ?? 0, decoupledWd: options.decoupledWd ?? false }, who);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.99;
    this.eps = options.eps ?? 1e-5;
    checkNumber(who, 'beta1', this.beta1, 0, 1, true);
    checkNumber(who, 'beta2', this.beta2, 0, 1, true);
    checkNumber(who, 'eps', this.eps, 0);
  }

  setMomentum(beta1: number): void {
    checkNumber(this.type, 'beta1', beta1, 0, 1, true);
    this.beta1 = beta1;
  }

  protected update(w: tf.Tensor, grad: tf.Tensor, state: ParamState, lr: number): tf.Tensor {
    const m = this.slot(state, 'm', w);
    const v = this.slot(state, 'v', w);
    const b1 = this.beta1;
    const b2 = this.beta2;
    const mNew = tf.add(tf.mul(tf.scalar(b1), m), tf.mul(tf.scalar(1 - b1), grad));
    const vNew = tf.add(tf.mul(tf.scalar(b2), v), tf.mul(tf.scalar(1 - b2), tf.square(grad)));
    m.assign(mNew);
    v.assign(vNew);
    const debias1 = 1 - b1 ** state.step;
    const debias2 = 1 - b2 ** state.step;
    const denom = tf.add(tf.sqrt(tf.div(vNew, tf.scalar(debias2))), tf.scalar(this.eps));
    return tf.sub(w, tf.mul(tf.scalar(lr / debias1), tf.div(mNew, denom)));
  }

  protected hyper() {
    return { beta1: this.beta1, beta2: this.beta2, eps: this.eps, decoupledWd: this.decoupledWd };
  }

  protected setHyper(h: Record<string, number | boolean>): void {
    if (typeof h.beta1 === 'number') this.setMomentum(h.beta1);
    if (typeof h.beta2 === 'number') {
      checkNumber(this.type, 'beta2', h.beta2, 0, 1, true);
      this.beta2 = h.beta2;
    }
    if (typeof h.eps === 'number') {
      checkNumber(this.type, 'eps', h.eps, 0);
      this.eps = h.eps;
    }
    if (typeof h.decoupledWd === 'boolean' && this.type === 'Adam') this.decoupledWd = h.decoupledWd;
  }
}

/** AdamW: Adam with decoupled weight decay, fastai's default optimizer (wd 1e-2, betas 0.9/0.99, eps 1e-5). */
export class AdamW extends Adam {
  override readonly type = 'AdamW' as const;

  constructor(groups: ParamGroup[] | tf.Variable[], options: Partial<Omit<AdamOptions, 'decoupledWd'>> = {}) {
    super(groups, { ...options, wd: options.wd ?? 1e-2, decoupledWd: true }, 'AdamW');
  }
}

function normalizeGroups(groups: ParamGroup[] | tf.Variable[], who: string): ParamGroup[] {
  if (!Array.isArray(groups) || groups.length === 0) throw new Error(`${who}: expected a non-empty array of parameter groups or tf.Variables`);
  if (groups.every((g) => g instanceof tf.Variable)) return [{ params: groups as tf.Variable[] }];
  if (groups.some((g) => g instanceof tf.Variable)) throw new Error(`${who}: mix of tf.Variables and parameter groups; wrap the variables in { params: [...] }`);
  return groups as ParamGroup[];
}

function gradLookup(grads: Gradients, who: string): (p: tf.Variable) => tf.Tensor | undefined {
  if (grads instanceof Map) return (p) => grads.get(p);
  if (grads && typeof grads === 'object') return (p) => (grads as tf.NamedTensorMap)[p.name];
  throw new Error(`${who}.applyGradients: expected a Map<tf.Variable, tf.Tensor> or the grads object of tf.variableGrads`);
}

function checkNumber(who: string, what: string, v: unknown, min: number, max?: number, maxExclusive = false): void {
  const bad =
    typeof v !== 'number' || !Number.isFinite(v) || v < min || (max !== undefined && (maxExclusive ? v >= max : v > max));
  if (bad) {
    const range = max === undefined ? `>= ${min}` : `in [${min}, ${max}${maxExclusive ? ')' : ']'}`;
    throw new Error(`${who}: ${what} must be a finite number ${range}, got ${String(v)}`);
  }
}
