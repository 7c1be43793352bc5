import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { readFile } from 'node:fs/promises';
import { activeBackend, type ImageCodec } from '@bears/backend';
import { LearnerError } from './errors.js';
import { concatPoolLayers } from './head.js';
import { normalizePixels, type Normalization } from './normalization.js';
import { resizeFit, type ValidResize } from '@bears/data';

/** A file path, encoded image bytes, or a pixel tensor ([h, w, 3] or [1, h, w, 3], values 0..255). */
export type ImageInput = string | Uint8Array | ArrayBuffer | tf.Tensor3D | tf.Tensor4D;

export interface Prediction {
  label: string;
  index: number;
  /** One probability per class, in the classes' order. */
  probabilities: number[];
}

export interface PredictContext {
  classes: string[];
  inputSize: number;
  normalize: Normalization;
  /** How a photo fits the square input (default 'crop'). */
  resize?: ValidResize;
  batchSize?: number;
}

/** Body + concat pool + head (+ softmax) as one layers graph sharing the given layers' weights. */
export function buildInferenceModel(body: tfl.LayersModel, head: tfl.Sequential): tfl.LayersModel {
  let h = concatPoolLayers(body.outputs[0] as tfl.SymbolicTensor);
  for (const layer of head.layers) h = layer.apply(h) as tfl.SymbolicTensor;
  const probs = tfl.layers.softmax({ name: 'probabilities' }).apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: body.inputs, outputs: probs, name: 'bears_classifier' });
}

let codecPromise: Promise<ImageCodec> | undefined;
async function codec(): Promise<ImageCodec> {
  const active = activeBackend();
  if (active) return active.codec;
  codecPromise ??= import('@bears/backend/node').then((m) => m.sharpCodec);
  return codecPromise;
}

/** A pixel tensor made square like the codec would: centre crop, zero padding, or as is (squish). */
function fitSquare(img: tf.Tensor3D, resize: ValidResize): tf.Tensor3D {
  const [h, w] = img.shape;
  if (h === w || resize === 'squish') return img;
  const side = resize === 'crop' ? Math.min(h, w) : Math.max(h, w);
  if (resize === 'crop') return tf.slice(img, [Math.floor((h - side) / 2), Math.floor((w - side) / 2), 0], [side, side, 3]);
  const top = Math.floor((side - h) / 2);
  const left = Math.floor((side - w) / 2);
  return tf.pad(img, [[top, side - h - top], [left, side - w - left], [0, 0]]);
}

/** Decodes one input to a normalized [size, size, 3] tensor (validation-style centre crop). */
export async function imageToInput(image: ImageInput, size: number, normalize: Normalization, resize: ValidResize = 'crop'): Promise<tf.Tensor3D> {
  if (image instanceof tf.Tensor) {
    const t = image.rank === 4 ? image : image.rank === 3 ? image : undefined;
    if (!t || t.shape[t.rank - 1] !== 3 || (t.rank === 4 && t.shape[0] !== 1)) {
      throw new LearnerError(`predict: a tensor input must be [h, w, 3] or [1, h, w, 3] pixels 0..255, got shape [${image.shape}]`);
    }
    return tf.tidy(() => {
      const img = fitSquare(tf.cast(t.rank === 4 ? tf.squeeze(t, [0]) : t, 'float32') as tf.Tensor3D, resize);
      const resized = img.shape[0] === size && img.shape[1] === size ? img : tf.image.resizeBilinear(img, [size, size], true);
      return normalizePixels(resized as tf.Tensor3D, normalize);
    });
  }
  let bytes: Uint8Array;
  let name = 'image bytes';
  if (typeof image === 'string') {
    name = image;
    try {
      bytes = await readFile(image);
    } catch (err) {
      throw new LearnerError(`predict: cannot read ${image} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
    }
  } else if (image instanceof Uint8Array) bytes = image;
  else if (image instanceof ArrayBuffer) bytes = new Uint8Array(image);
  else throw new LearnerError(`predict: expected a file path, image bytes or a tensor, got ${Object.prototype.toString.call(image)}`);
  let pixels: tf.Tensor3D;
  try {
    pixels = await (await codec()).decode(bytes, { size, fit: resizeFit(resize) });
  } catch (err) {
    throw new LearnerError(`predict: cannot decode ${name}: ${(err as Error).message}`, { cause: err });
  }
  const out = normalizePixels(pixels, normalize);
  pixels.dispose();
  return out;
}

/** Runs a classifier that outputs probabilities over decoded images, in batches. */
export async function predictImages(model: tfl.LayersModel, images: ImageInput[], ctx: PredictContext): Promise<Prediction[]> {
  if (!Array.isArray(images)) throw new LearnerError('predictBatch: expected an array of images');
  const bs = ctx.batchSize ?? 16;
  const out: Prediction[] = [];
  for (let s = 0; s < images.length; s += bs) {
    const inputs = await Promise.all(images.slice(s, s + bs).map((im) => imageToInput(im, ctx.inputSize, ctx.normalize, ctx.resize)));
    const probs = tf.tidy(() => model.predict(tf.stack(inputs)) as tf.Tensor2D);
    tf.dispose(inputs);
    const vals = (await probs.data()) as Float32Array;
    const k = probs.shape[1];
    probs.dispose();
    for (let i = 0; i < vals.length / k; i++) {
      const p = Array.from(vals.subarray(i * k, (i + 1) * k));
      let index = 0;
      for (let j = 1; j < k; j++) if (p[j]! > p[index]!) index = j;
      out.push({ label: ctx.classes[index] ?? String(index), index, probabilities: p });
    }
  }
  return out;
}
