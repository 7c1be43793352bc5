import type { ImageCodec } from '@bears/backend';
import { decodeForModel, type PreprocessOptions } from '@bears/data';
import { HttpError } from './errors.js';
import { readImageHeader } from './image-header.js';

/** One uploaded image: a multipart file or the raw body. */
export interface Upload {
  name: string;
  bytes: Uint8Array;
  /** The Content-Type the client declared for it, if any. */
  type?: string;
}

const NO_IMAGE = "no image: send it as the multipart field 'file' or as the raw request body";

function isImageType(type: string | undefined): boolean {
  if (!type) return true;
  const t = type.split(';')[0]!.trim().toLowerCase();
  return t === '' || t.startsWith('image/') || t === 'application/octet-stream';
}

/** The uploads of a request: multipart files (the field 'file' first) or the raw body. */
export async function readUploads(req: Request, many: boolean): Promise<Upload[]> {
  const ct = req.headers.get('content-type') ?? '';
  if (/^multipart\/form-data/i.test(ct)) {
    let form: FormData;
    try {
      form = await req.formData();
    } catch (err) {
      throw new HttpError(400, `malformed multipart body (${(err as Error).message})`);
    }
    const files: File[] = [];
    for (const [, v] of form.entries()) if (typeof v !== 'string') files.push(v);
    const first = form.get('file');
    if (!many && first && typeof first !== 'string') files.unshift(first);
    if (files.length === 0) {
      if (typeof form.get('file') === 'string') throw new HttpError(415, "the field 'file' is text, not an image file");
      throw new HttpError(400, NO_IMAGE);
    }
    const chosen = many ? files : files.slice(0, 1);
    return Promise.all(chosen.map(async (f, i) => ({ name: f.name || `image ${i + 1}`, bytes: new Uint8Array(await f.arrayBuffer()), type: f.type || undefined })));
  }
  if (!isImageType(ct)) throw new HttpError(415, `Content-Type '${ct}' is not an image type: send image bytes (image/jpeg, image/png, ...) or multipart/form-data`);
  const bytes = new Uint8Array(await req.arrayBuffer());
  if (bytes.length === 0) throw new HttpError(400, NO_IMAGE);
  return [{ name: 'body', bytes, type: ct || undefined }];
}

/** Checks type and pixel count from the header, then decodes to model input (into `out` when given); errors are HttpErrors. */
export async function prepareUpload(upload: Upload, codec: ImageCodec, pre: PreprocessOptions, maxPixels: number, out?: Float32Array): Promise<Float32Array> {
  if (upload.bytes.length === 0) throw new HttpError(400, `${upload.name}: empty file (0 bytes)`);
  if (!isImageType(upload.type)) throw new HttpError(415, `${upload.name}: type '${upload.type}' is not an image type`);
  const header = readImageHeader(upload.bytes);
  if (!header) throw new HttpError(415, `${upload.name}: not an image (the bytes are not JPEG, PNG, WebP, GIF, BMP, TIFF or AVIF)`);
  if (header.width === undefined || header.height === undefined) {
    if (header.type === 'jpeg' || header.type === 'png') throw new HttpError(422, `${upload.name}: the ${header.type} header is truncated or corrupt`);
  } else if (header.width * header.height > maxPixels) {
    throw new HttpError(422, `${upload.name}: ${header.width}x${header.height} = ${header.width * header.height} pixels is over the limit of ${maxPixels}`);
  }
  try {
    return await decodeForModel(codec, upload.bytes, pre, out);
  } catch (err) {
    throw new HttpError(422, `${upload.name}: cannot decode the ${header.type} (${(err as Error).message})`);
  }
}
