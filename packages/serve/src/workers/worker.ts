// @bears/serve/workers: the predictor as a Cloudflare Workers module. Deploy with the package's
// wrangler.toml (see README): the model's files come from static assets, an R2 bucket or a URL,
// once per isolate; the wasm backend and the image decoders are bundled as wasm modules.
import * as tf from '@tensorflow/tfjs-core';
import tfSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm';
import jpegWasm from '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm';
import pngWasm from '@jsquash/png/codec/pkg/squoosh_png_bg.wasm';
import { createPredictor, type PredictorApp, type PredictorOptions } from '../app.js';
import { loadServedModel } from '../served-model.js';
import { errorResponse } from '../errors.js';
import { wasmDecoderCodec } from './codec.js';
import { useWorkersWasmBackend } from './wasm-backend.js';

/** Minimal shapes of the Workers bindings used here (no @cloudflare/workers-types needed). */
interface R2Like {
  get(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer> } | null>;
}
interface FetcherLike {
  fetch(input: Request | string): Promise<Response>;
}

export interface WorkerEnv {
  /** Static assets binding ([assets] in wrangler.toml): the model folder at MODEL_PATH. */
  ASSETS?: FetcherLike;
  /** An R2 bucket holding the model folder under MODEL_PATH. */
  MODEL_BUCKET?: R2Like;
  /** Base URL of the model folder, fetched once per isolate (when neither binding is set). */
  MODEL_URL?: string;
  /** Folder of the model inside ASSETS or MODEL_BUCKET (default 'model/'). */
  MODEL_PATH?: string;
  MAX_BODY_BYTES?: string;
  MAX_PIXELS?: string;
  MAX_BATCH_SIZE?: string;
  MAX_WAIT_MS?: string;
  MAX_QUEUE?: string;
  TIMEOUT_MS?: string;
  /** '0' keeps batch norm as exported. */
  FOLD_BATCH_NORM?: string;
}

async function modelFiles(env: WorkerEnv, origin: string): Promise<Record<string, Uint8Array>> {
  const dir = (env.MODEL_PATH ?? 'model/').replace(/^\/+/, '').replace(/\/?$/, '/');
  let get: (file: string) => Promise<Uint8Array>;
  if (env.MODEL_BUCKET) {
    const bucket = env.MODEL_BUCKET;
    get = async (file) => {
      const obj = await bucket.get(dir + file);
      if (!obj) throw new Error(`R2 object ${dir + file} not found`);
      return new Uint8Array(await obj.arrayBuffer());
    };
  } else {
    const fetcher = env.ASSETS;
    const base = env.MODEL_URL ? env.MODEL_URL.replace(/\/?$/, '/') : `${origin}/${dir}`;
    if (!fetcher && !env.MODEL_URL) throw new Error('no model: bind ASSETS or MODEL_BUCKET, or set MODEL_URL (see the README)');
    get = async (file) => {
      const res = await (fetcher && !env.MODEL_URL ? fetcher.fetch(base + file) : fetch(base + file));
      if (!res.ok) throw new Error(`GET ${base + file}: HTTP ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    };
  }
  const files: Record<string, Uint8Array> = { 'metadata.json': await get('metadata.json') };
  const meta = JSON.parse(new TextDecoder().decode(files['metadata.json'])) as { files?: Record<string, string> };
  await Promise.all(Object.keys(meta.files ?? {}).map(async (f) => (files[f] = await get(f))));
  return files;
}

const int = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));

/** Builds the predictor once per isolate: backend, model, app. */
async function build(env: WorkerEnv, origin: string): Promise<PredictorApp> {
  const codec = wasmDecoderCodec({ jpeg: jpegWasm, png: pngWasm });
  const backend = await useWorkersWasmBackend({ 'tfjs-backend-wasm-simd.wasm': tfSimd }, codec);
  const model = await loadServedModel({ files: await modelFiles(env, origin) }, { backend, foldBatchNorm: env.FOLD_BATCH_NORM !== '0' });
  const options: PredictorOptions = {
    backend,
    maxBodyBytes: int(env.MAX_BODY_BYTES),
    maxPixels: int(env.MAX_PIXELS),
    // Measured in workerd with the 224 px MobileNet: the wasm heap reaches 50 MB at batch 1,
    // 60 MB at 2, 73 MB at 4 and 125 MB at 8, and an isolate has 128 MB in all.
    maxBatchSize: int(env.MAX_BATCH_SIZE) ?? 2,
    maxWaitMs: int(env.MAX_WAIT_MS),
    maxQueue: int(env.MAX_QUEUE),
    timeoutMs: int(env.TIMEOUT_MS),
    numTensors: () => tf.memory().numTensors,
    memory: () => ({ tensorBytes: tf.memory().numBytes, wasmHeapBytes: wasmHeapBytes() }),
  };
  return createPredictor(model, options);
}

function wasmHeapBytes(): number {
  const b = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return b.wasm?.HEAPU8?.byteLength ?? 0;
}

let app: Promise<PredictorApp> | undefined;

export default {
  async fetch(request: Request, env: WorkerEnv, ctx?: unknown): Promise<Response> {
    let predictor: PredictorApp;
    try {
      predictor = await (app ??= build(env, new URL(request.url).origin));
    } catch (err) {
      app = undefined; // the next request tries again
      return errorResponse(503, `the model could not be loaded: ${(err as Error).message}`, { 'retry-after': '5' });
    }
    return predictor.fetch(request, env, ctx as never);
  },
};
