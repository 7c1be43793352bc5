/**
 * Node-only raster output through sharp (librsvg): SVG to PNG, and animated GIFs from SVG frames.
 * Kept out of the main entry so that stays browser-safe: import from '@bears/sgd/node' ('@bears/sgd/png' is
 * the same module under its older name).
 */
import { animationFrames, fitFrameSvg, type FitAnimationOptions } from './animation.js';
import type { LinearData, LinearRun } from './from-scratch.js';

type SharpFn = typeof import('sharp').default;

let sharpPromise: Promise<SharpFn> | undefined;
async function loadSharp(): Promise<SharpFn> {
  sharpPromise ??= import('sharp').then(
    (m) => m.default,
    (err: unknown) => {
      sharpPromise = undefined;
      throw new Error(`@bears/sgd/png needs the 'sharp' package: npm install sharp (${(err as Error).message})`);
    },
  );
  return sharpPromise;
}

export interface SvgToPngOptions {
  /** Pixel scale relative to the SVG's own size (2 for a sharp image on high-DPI screens). */
  scale?: number;
  /** Fill for transparent areas; default white. */
  background?: string;
}

/** Renders an SVG document string to PNG bytes. */
export async function svgToPng(svg: string, options: SvgToPngOptions = {}): Promise<Uint8Array> {
  const { scale = 1, background = '#ffffff' } = options;
  checkSvg(svg, 'svgToPng');
  if (!(scale > 0 && scale <= 8)) throw new Error(`svgToPng: scale must be in (0, 8], got ${scale}`);
  const sharp = await loadSharp();
  try {
    const out = await sharp(Buffer.from(svg), { density: 72 * scale }).flatten({ background }).png().toBuffer();
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    throw new Error(`svgToPng: the SVG could not be rendered: ${(err as Error).message}`);
  }
}

export interface GifOptions {
  /** Milliseconds per frame. */
  frameMs?: number;
  /** Extra time the last frame is shown before the loop restarts. */
  holdLastMs?: number;
  /** 0 loops forever. */
  loop?: number;
}

/** Renders SVG frames (all the same size) and joins them into an animated GIF. */
export async function svgFramesToGif(frames: string[], options: GifOptions = {}): Promise<Uint8Array> {
  const { frameMs = 60, holdLastMs = 1000, loop = 0 } = options;
  if (!Array.isArray(frames) || frames.length === 0) throw new Error('svgFramesToGif: frames must be a non-empty array of SVG strings');
  if (!(frameMs >= 10 && frameMs <= 65535)) throw new Error(`svgFramesToGif: frameMs must be in [10, 65535], got ${frameMs}`);
  frames.forEach((f, i) => checkSvg(f, `svgFramesToGif: frame ${i}`));
  const sharp = await loadSharp();
  const raws: Buffer[] = [];
  let width = 0;
  let height = 0;
  for (let i = 0; i < frames.length; i++) {
    const { data, info } = await sharp(Buffer.from(frames[i]!)).flatten({ background: '#ffffff' }).raw().toBuffer({ resolveWithObject: true });
    if (i === 0) {
      width = info.width;
      height = info.height;
    } else if (info.width !== width || info.height !== height) {
      throw new Error(`svgFramesToGif: frame ${i} is ${info.width}x${info.height}, frame 0 is ${width}x${height}; all frames must be the same size`);
    }
    if (info.channels !== 3) throw new Error(`svgFramesToGif: unexpected ${info.channels} channels after flatten`);
    raws.push(data);
  }
  const delay = frames.map((_, i) => Math.round(i === frames.length - 1 ? frameMs + holdLastMs : frameMs));
  const out = await sharp(Buffer.concat(raws), { raw: { width, height: height * frames.length, channels: 3, pageHeight: height } })
    .gif({ delay, loop, effort: 7, dither: 0 })
    .toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** The fit animation as an animated GIF (same frames as fitAnimationSvg). */
export async function fitAnimationGif(data: LinearData, run: LinearRun, options: FitAnimationOptions & { holdLastMs?: number } = {}): Promise<Uint8Array> {
  const frames = animationFrames(run, options.maxFrames ?? 100).map((s) => fitFrameSvg(data, s, options));
  return svgFramesToGif(frames, { frameMs: options.frameMs ?? 60, holdLastMs: options.holdLastMs ?? 1000 });
}

function checkSvg(svg: string, who: string): void {
  if (typeof svg !== 'string' || !/<svg[\s>]/.test(svg)) throw new Error(`${who}: expected an SVG document string (got ${typeof svg === 'string' ? `'${svg.slice(0, 40)}...'` : typeof svg})`);
}
