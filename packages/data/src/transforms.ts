import type { RgbImage } from '@bears/backend';
import { normalizationAffine, type Normalization } from './normalization.js';
import type { Rng } from './prng.js';

/** How an image reaches the square output size (fastai's item transforms). */
export type ResizeMethod = 'randomResizedCrop' | 'crop' | 'squish' | 'pad';
export type PadMode = 'reflection' | 'zeros' | 'border';

/** The deterministic fits (what validation and predict use). */
export type ValidResize = Exclude<ResizeMethod, 'randomResizedCrop'>;
export const validResizes: readonly ValidResize[] = ['crop', 'squish', 'pad'];

export function isValidResize(value: unknown): value is ValidResize {
  return (validResizes as readonly unknown[]).includes(value);
}

/** The sharp/codec `fit` that does a resize method's deterministic version (random resized crop: centre crop). */
export function resizeFit(resize: ResizeMethod): 'cover' | 'fill' | 'contain' {
  return resize === 'squish' ? 'fill' : resize === 'pad' ? 'contain' : 'cover';
}

/** Augmentation settings; defaults are the lesson's `RandomResizedCrop(size, min_scale=0.5)` + `aug_transforms()`. */
export interface AugmentOptions {
  /** Item transform: random resized crop (default), random square crop, squish, or pad to a square. */
  resize?: ResizeMethod;
  /** Smallest crop area as a fraction of the image, for randomResizedCrop (default 0.5). */
  minScale?: number;
  /** Aspect ratio range of the random crop (default [3/4, 4/3]). */
  ratio?: [number, number];
  /** Random horizontal flip with probability 0.5 (default true). */
  flip?: boolean;
  /** Largest rotation in degrees (default 10). */
  maxRotate?: number;
  /** Zoom range (default 1 to 1.1). */
  minZoom?: number;
  maxZoom?: number;
  /** Largest brightness/contrast change (default 0.2). */
  maxLighting?: number;
  /** Largest perspective warp (default 0.2). */
  maxWarp?: number;
  /** Probability of each of rotate, zoom and warp (default 0.75). */
  pAffine?: number;
  /** Probability of each of brightness and contrast (default 0.75). */
  pLighting?: number;
  /** What fills pixels that come from outside the image (default 'reflection'). */
  padMode?: PadMode;
}

export const defaultAugment: Readonly<Required<AugmentOptions>> = Object.freeze({
  resize: 'randomResizedCrop',
  minScale: 0.5,
  ratio: [3 / 4, 4 / 3] as [number, number],
  flip: true,
  maxRotate: 10,
  minZoom: 1,
  maxZoom: 1.1,
  maxLighting: 0.2,
  maxWarp: 0.2,
  pAffine: 0.75,
  pLighting: 0.75,
  padMode: 'reflection',
});

/** No augmentation at all (but the resize method still applies). */
export const noAugment: Readonly<Required<AugmentOptions>> = Object.freeze({
  ...defaultAugment,
  resize: 'crop',
  flip: false,
  maxRotate: 0,
  maxZoom: 1,
  maxLighting: 0,
  maxWarp: 0,
});

/** fastai's `aug_transforms`: fills in and checks augmentation settings. */
export function augTransforms(options: AugmentOptions = {}): Required<AugmentOptions> {
  const o = { ...defaultAugment, ...dropUndefined(options) } as Required<AugmentOptions>;
  const bad = (msg: string) => { throw new RangeError(`Augmentation: ${msg}`); };
  if (!['randomResizedCrop', 'crop', 'squish', 'pad'].includes(o.resize)) bad(`resize must be randomResizedCrop, crop, squish or pad, got ${String(o.resize)}`);
  if (!(o.minScale > 0 && o.minScale <= 1)) bad(`minScale must be in (0, 1], got ${o.minScale}`);
  if (!(o.ratio[0] > 0 && o.ratio[1] >= o.ratio[0])) bad(`ratio must be [lo, hi] with 0 < lo <= hi, got ${JSON.stringify(o.ratio)}`);
  if (!(o.maxRotate >= 0 && o.maxRotate <= 180)) bad(`maxRotate must be in [0, 180], got ${o.maxRotate}`);
  if (!(o.minZoom > 0 && o.maxZoom >= o.minZoom)) bad(`zoom range must satisfy 0 < minZoom <= maxZoom, got ${o.minZoom}..${o.maxZoom}`);
  if (!(o.maxLighting >= 0 && o.maxLighting < 1)) bad(`maxLighting must be in [0, 1), got ${o.maxLighting}`);
  if (!(o.maxWarp >= 0 && o.maxWarp < 1)) bad(`maxWarp must be in [0, 1), got ${o.maxWarp}`);
  if (!(o.pAffine >= 0 && o.pAffine <= 1) || !(o.pLighting >= 0 && o.pLighting <= 1)) bad('pAffine and pLighting must be probabilities in [0, 1]');
  if (!['reflection', 'zeros', 'border'].includes(o.padMode)) bad(`padMode must be reflection, zeros or border, got ${String(o.padMode)}`);
  return o;
}

/** One image's random draw: everything needed to render it again identically. */
export interface AugmentParams {
  /** Region of the source image (pixels, may extend past the edges for 'pad') mapped onto the output. */
  crop: { x: number; y: number; width: number; height: number };
  flip: boolean;
  /** Degrees, counter-clockwise. */
  rotate: number;
  zoom: number;
  /** Zoom centre, each in [0, 1]. */
  zoomCenter: [number, number];
  /** Perspective warp magnitudes (x, y). */
  warp: [number, number];
  /** 0.5 is unchanged. */
  brightness: number;
  /** 1 is unchanged. */
  contrast: number;
}

/** The deterministic crop used for validation: centre crop, whole image, or padded square. */
export function centerParams(width: number, height: number, resize: ResizeMethod = 'crop'): AugmentParams {
  let crop: AugmentParams['crop'];
  if (resize === 'squish') crop = { x: 0, y: 0, width, height };
  else if (resize === 'pad') {
    const side = Math.max(width, height);
    crop = { x: (width - side) / 2, y: (height - side) / 2, width: side, height: side };
  } else {
    const side = Math.min(width, height);
    crop = { x: (width - side) / 2, y: (height - side) / 2, width: side, height: side };
  }
  return { crop, flip: false, rotate: 0, zoom: 1, zoomCenter: [0.5, 0.5], warp: [0, 0], brightness: 0.5, contrast: 1 };
}

/** Draws one image's augmentation for a source of width x height (same draws on every platform for a seed). */
export function sampleAugment(rng: Rng, width: number, height: number, options: Required<AugmentOptions>): AugmentParams {
  const o = options;
  let crop: AugmentParams['crop'];
  if (o.resize === 'randomResizedCrop') crop = randomResizedCrop(rng, width, height, o.minScale, o.ratio);
  else if (o.resize === 'crop') {
    const side = Math.min(width, height);
    crop = { x: rng.next() * (width - side), y: rng.next() * (height - side), width: side, height: side };
  } else crop = centerParams(width, height, o.resize).crop;
  const flip = o.flip && rng.chance(0.5);
  const rotate = o.maxRotate > 0 && rng.chance(o.pAffine) ? rng.uniform(-o.maxRotate, o.maxRotate) : 0;
  let zoom = 1;
  let zoomCenter: [number, number] = [0.5, 0.5];
  if ((o.maxZoom !== 1 || o.minZoom !== 1) && rng.chance(o.pAffine)) {
    zoom = rng.uniform(o.minZoom, o.maxZoom);
    zoomCenter = [rng.next(), rng.next()];
  }
  const warp: [number, number] = o.maxWarp > 0 && rng.chance(o.pAffine) ? [rng.uniform(-o.maxWarp, o.maxWarp), rng.uniform(-o.maxWarp, o.maxWarp)] : [0, 0];
  let brightness = 0.5;
  let contrast = 1;
  if (o.maxLighting > 0) {
    if (rng.chance(o.pLighting)) brightness = rng.uniform(0.5 * (1 - o.maxLighting), 0.5 * (1 + o.maxLighting));
    if (rng.chance(o.pLighting)) contrast = Math.exp(rng.uniform(Math.log(1 - o.maxLighting), -Math.log(1 - o.maxLighting)));
  }
  return { crop, flip, rotate, zoom, zoomCenter, warp, brightness, contrast };
}

/** torchvision/fastai RandomResizedCrop: area fraction in [minScale, 1], log-uniform aspect ratio, 10 tries then centre. */
function randomResizedCrop(rng: Rng, w: number, h: number, minScale: number, ratio: [number, number]): AugmentParams['crop'] {
  const area = w * h;
  for (let attempt = 0; attempt < 10; attempt++) {
    const frac = rng.uniform(minScale, 1);
    const r = Math.exp(rng.uniform(Math.log(ratio[0]), Math.log(ratio[1])));
    const cw = Math.sqrt(area * frac * r);
    const ch = Math.sqrt(area * frac / r);
    if (cw <= w && ch <= h) return { x: rng.next() * (w - cw), y: rng.next() * (h - ch), width: cw, height: ch };
  }
  let cw = w;
  let ch = h;
  if (w / h < ratio[0]) ch = w / ratio[0];
  else if (w / h > ratio[1]) cw = h * ratio[1];
  return { x: (w - cw) / 2, y: (h - ch) / 2, width: cw, height: ch };
}

/**
 * The 3x3 homography (row-major) taking output coordinates in [-1, 1] (x right, y down) to
 * source pixel coordinates: crop . warp . (flip, rotate, zoom), as fastai composes them.
 */
export function augmentMatrix(p: AugmentParams): Float64Array {
  // Affine part, output -> crop-normalized coords (fastai: zoom, rotate and flip matrices multiplied).
  const s = 1 / p.zoom;
  const tx = (1 - s) * (2 * p.zoomCenter[0] - 1);
  const ty = (1 - s) * (2 * p.zoomCenter[1] - 1);
  const zoomM = [s, 0, tx, 0, s, ty, 0, 0, 1];
  const a = (p.rotate * Math.PI) / 180;
  const rotM = [Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a), 0, 0, 0, 1];
  const flipM = [p.flip ? -1 : 1, 0, 0, 0, 1, 0, 0, 0, 1];
  const affine = mul3(mul3(zoomM, rotM), flipM);
  // Perspective warp of the [-1, 1] square (fastai's Warp: corners move by the magnitudes).
  const [mx, my] = p.warp;
  const warpM = mx === 0 && my === 0 ? [1, 0, 0, 0, 1, 0, 0, 0, 1] : homographyFromPoints(
    [[-1, -1], [-1, 1], [1, -1], [1, 1]],
    [[-1 - my, -1 - mx], [-1 + my, 1 + mx], [1 + my, -1 + mx], [1 - my, 1 - mx]],
  );
  // Crop-normalized [-1, 1] -> source pixel coords (pixel centres at integers).
  const c = p.crop;
  const cropM = [c.width / 2, 0, c.x + c.width / 2 - 0.5, 0, c.height / 2, c.y + c.height / 2 - 0.5, 0, 0, 1];
  return Float64Array.from(mul3(cropM, mul3(warpM, affine)));
}

/**
 * Renders `src` through `params` into `out` at `offset` as size x size x 3 floats, normalized:
 * one bilinear resample of the whole geometric chain, then lighting and normalization per pixel.
 */
export function renderAugmented(
  src: RgbImage,
  params: AugmentParams,
  size: number,
  normalize: Normalization,
  out: Float32Array,
  offset = 0,
  padMode: PadMode = 'reflection',
): void {
  const H = augmentMatrix(params);
  const { scale, offset: shift } = normalizationAffine(normalize);
  const lut = lightingLut(params.brightness, params.contrast);
  const sw = src.width;
  const sh = src.height;
  const data = src.data;
  const step = 2 / size;
  const s0 = scale[0]!, s1 = scale[1]!, s2 = scale[2]!;
  const o0 = shift[0]!, o1 = shift[1]!, o2 = shift[2]!;
  const h0 = H[0]!, h1 = H[1]!, h2 = H[2]!, h3 = H[3]!, h4 = H[4]!, h5 = H[5]!, h6 = H[6]!, h7 = H[7]!, h8 = H[8]!;
  const zeros = padMode === 'zeros';
  const reflect = padMode === 'reflection';
  let o = offset;
  const u0 = -1 + 0.5 * step;
  for (let i = 0; i < size; i++) {
    const v = -1 + (i + 0.5) * step;
    // Row start and per-column increments of the homography's numerators and denominator.
    let X = h0 * u0 + h1 * v + h2, Y = h3 * u0 + h4 * v + h5, W = h6 * u0 + h7 * v + h8;
    const dX = h0 * step, dY = h3 * step, dW = h6 * step;
    for (let j = 0; j < size; j++, X += dX, Y += dY, W += dW) {
      let x = X / W;
      let y = Y / W;
      let r = 0, g = 0, b = 0;
      if (zeros && (x < -0.5 || y < -0.5 || x > sw - 0.5 || y > sh - 0.5)) {
        // Outside the image: black, in pixel units, before lighting.
      } else {
        if (reflect) { x = reflectCoord(x, sw); y = reflectCoord(y, sh); }
        x = x < 0 ? 0 : x > sw - 1 ? sw - 1 : x;
        y = y < 0 ? 0 : y > sh - 1 ? sh - 1 : y;
        const x0 = x | 0, y0 = y | 0;
        const x1 = x0 + 1 < sw ? x0 + 1 : x0;
        const y1 = y0 + 1 < sh ? y0 + 1 : y0;
        const fx = x - x0, fy = y - y0;
        const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
        const p00 = (y0 * sw + x0) * 3, p01 = (y0 * sw + x1) * 3, p10 = (y1 * sw + x0) * 3, p11 = (y1 * sw + x1) * 3;
        r = data[p00]! * w00 + data[p01]! * w01 + data[p10]! * w10 + data[p11]! * w11;
        g = data[p00 + 1]! * w00 + data[p01 + 1]! * w01 + data[p10 + 1]! * w10 + data[p11 + 1]! * w11;
        b = data[p00 + 2]! * w00 + data[p01 + 2]! * w01 + data[p10 + 2]! * w10 + data[p11 + 2]! * w11;
      }
      if (lut) { r = lut[(r * 4 + 0.5) | 0]!; g = lut[(g * 4 + 0.5) | 0]!; b = lut[(b * 4 + 0.5) | 0]!; }
      out[o] = r * s0 + o0;
      out[o + 1] = g * s1 + o1;
      out[o + 2] = b * s2 + o2;
      o += 3;
    }
  }
}

/** Writes already-sized RGB bytes (size x size) into `out`, normalized. */
export function writeNormalized(src: RgbImage, normalize: Normalization, out: Float32Array, offset = 0): void {
  const { scale, offset: shift } = normalizationAffine(normalize);
  const d = src.data;
  const n = src.width * src.height * 3;
  const s0 = scale[0]!, s1 = scale[1]!, s2 = scale[2]!, o0 = shift[0]!, o1 = shift[1]!, o2 = shift[2]!;
  for (let i = 0; i < n; i += 3) {
    out[offset + i] = d[i]! * s0 + o0;
    out[offset + i + 1] = d[i + 1]! * s1 + o1;
    out[offset + i + 2] = d[i + 2]! * s2 + o2;
  }
}

/** Reflects a pixel coordinate about the image edges (-0.5 and n - 0.5), like grid_sample's reflection. */
function reflectCoord(x: number, n: number): number {
  if (x >= -0.5 && x <= n - 0.5) return x;
  const period = 2 * n;
  let t = (x + 0.5) % period;
  if (t < 0) t += period;
  return (t > n ? period - t : t) - 0.5;
}

/**
 * fastai lighting in logit space: sigmoid(logit(x) * contrast + logit(brightness)), tabulated
 * at quarter steps of 0..255 (undefined when it is the identity).
 */
function lightingLut(brightness: number, contrast: number): Float32Array | undefined {
  if (brightness === 0.5 && contrast === 1) return undefined;
  const lut = new Float32Array(1021);
  const lb = Math.log(brightness / (1 - brightness));
  for (let i = 0; i < lut.length; i++) {
    const p = Math.min(Math.max(i / 4 / 255, 1e-5), 1 - 1e-5);
    const z = Math.log(p / (1 - p)) * contrast + lb;
    lut[i] = 255 / (1 + Math.exp(-z));
  }
  return lut;
}

function mul3(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const r = new Array<number>(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) r[i * 3 + j] = a[i * 3]! * b[j]! + a[i * 3 + 1]! * b[3 + j]! + a[i * 3 + 2]! * b[6 + j]!;
  }
  return r;
}

/** The homography taking 4 points `from` to 4 points `to` (8x8 linear solve, h8 = 1). */
export function homographyFromPoints(from: number[][], to: number[][]): number[] {
  const A: number[][] = [];
  for (let k = 0; k < 4; k++) {
    const [x, y] = from[k]!;
    const [X, Y] = to[k]!;
    A.push([x!, y!, 1, 0, 0, 0, -X! * x!, -X! * y!, X!]);
    A.push([0, 0, 0, x!, y!, 1, -Y! * x!, -Y! * y!, Y!]);
  }
  // Gaussian elimination with partial pivoting on the augmented 8x9 system.
  for (let c = 0; c < 8; c++) {
    let p = c;
    for (let r = c + 1; r < 8; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[p]![c]!)) p = r;
    [A[c], A[p]] = [A[p]!, A[c]!];
    const pivot = A[c]![c]!;
    if (Math.abs(pivot) < 1e-12) throw new Error('Degenerate perspective warp');
    for (let r = 0; r < 8; r++) {
      if (r === c) continue;
      const f = A[r]![c]! / pivot;
      for (let k = c; k < 9; k++) A[r]![k]! -= f * A[c]![k]!;
    }
  }
  const h = A.map((row, i) => row[8]! / row[i]!);
  return [...h, 1];
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
