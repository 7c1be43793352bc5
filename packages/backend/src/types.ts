import type { Tensor3D } from '@tensorflow/tfjs-core';

/** Where code runs. Edge means a Web-standard server runtime (Workers, Deno Deploy, Vercel Edge). */
export type Runtime = 'node' | 'browser' | 'edge';

export interface BackendCapabilities {
  runtime: Runtime;
  accelerator: 'gpu' | 'cpu';
  /** False for backends that only run inference (a missing gradient kernel, say). */
  canTrain: boolean;
  /** Free text for humans: adapter name, thread count, library versions. */
  details?: string;
  /**
   * Bytes one training step may use (a wasm32 heap tops out at 4 GB, so wasm sets one); undefined
   * means no hard limit is known. The learner's memory planner splits batches to fit it.
   */
  memoryBudgetBytes?: number;
  /** Compute threads the backend uses, where known. */
  threads?: number;
}

/** Availability check result: never throw from a check, say why instead. */
export type Availability =
  | { ok: true }
  | { ok: false; reason: string; install?: string };

/** Raw RGB pixels, row-major, 3 bytes per pixel. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface DecodeOptions {
  /** Output size: a number for a square, or [height, width]. Omit to keep the source size. */
  size?: number | [number, number];
  /**
   * How to reach `size`: crop the centre (fastai's Resize default), squish, or letterbox; or keep the
   * aspect ratio with the output covering ('outside') or inside ('inside') `size`, so its dimensions vary.
   */
  fit?: 'cover' | 'fill' | 'contain' | 'outside' | 'inside';
  /**
   * Never enlarge a smaller image (default false). With 'outside'/'inside' it keeps its size; with 'cover' it is only
   * cropped, each side to at most the box's (sharp's semantics), and the caller scales it up.
   */
  withoutEnlargement?: boolean;
}

/** Per-runtime image codec: bytes in, RGB out, and PNG back. */
export interface ImageCodec {
  readonly name: string;
  /** Fully decodes (a truncated file is an error) and returns 3-channel RGB pixels. */
  decodeRgb(bytes: Uint8Array, options?: DecodeOptions): Promise<RgbImage>;
  /** Same as decodeRgb, as a float32 [h, w, 3] tensor with values 0..255. */
  decode(bytes: Uint8Array, options?: DecodeOptions): Promise<Tensor3D>;
  /** Encodes RGB pixels or a [h, w, 3] tensor (values 0..255) as PNG. */
  encodePng(image: RgbImage | Tensor3D): Promise<Uint8Array>;
}

/** A compute backend, registered by name and priority (tfjs's model). */
export interface BackendPlugin {
  /** Bears name used by BEARS_BACKEND and `useBackend(name)`, e.g. 'wasm', 'node-gpu', 'webgpu'. */
  readonly name: string;
  /** Higher wins under 'auto'. GPUs sit above the embedded default. */
  readonly priority: number;
  /** The tfjs backend name this plugin registers and activates. */
  readonly tfBackendName: string;
  /** Cheap check that must not throw: is the runtime right, does the library load? */
  isAvailable(): Promise<Availability>;
  /** Registers the tfjs backend if needed and makes it current. Throws a BackendUnavailableError on failure. */
  init(): Promise<void>;
  /** What the backend can do, valid after init(). */
  capabilities(): BackendCapabilities;
  /** The image codec for this backend's runtime. */
  codec(): Promise<ImageCodec>;
}
