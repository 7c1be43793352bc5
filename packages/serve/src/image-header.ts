import { sniffImageType } from '@bears/backend';

export type ImageType = NonNullable<ReturnType<typeof sniffImageType>>;

export interface ImageHeader {
  type: ImageType;
  /** Undefined when the header is truncated or corrupt. */
  width?: number;
  height?: number;
}

// Dimensions come from the header alone, so a decompression bomb (a few KB that decode to
// gigapixels) is refused before any decoder allocates its pixels.

const u16be = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!;
const u16le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8);
const u24le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);
const u32be = (b: Uint8Array, i: number) => ((b[i]! << 24) >>> 0) + ((b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!);
const u32le = (b: Uint8Array, i: number) => u32be(Uint8Array.of(b[i + 3]!, b[i + 2]!, b[i + 1]!, b[i]!), 0);

function jpegSize(b: Uint8Array): [number, number] | undefined {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    const len = u16be(b, i + 2);
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry height then width.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return [u16be(b, i + 7), u16be(b, i + 5)];
    if (len < 2) return undefined;
    i += 2 + len;
  }
  return undefined;
}

function webpSize(b: Uint8Array): [number, number] | undefined {
  const chunk = String.fromCharCode(b[12]!, b[13]!, b[14]!, b[15]!);
  if (chunk === 'VP8X' && b.length >= 30) return [1 + u24le(b, 24), 1 + u24le(b, 27)];
  if (chunk === 'VP8L' && b.length >= 25) {
    const bits = u32le(b, 21);
    return [1 + (bits & 0x3fff), 1 + ((bits >>> 14) & 0x3fff)];
  }
  if (chunk === 'VP8 ' && b.length >= 30) return [u16le(b, 26) & 0x3fff, u16le(b, 28) & 0x3fff];
  return undefined;
}

/** The format (from magic bytes) and, when the header is readable, the pixel dimensions. */
export function readImageHeader(b: Uint8Array): ImageHeader | undefined {
  const type = sniffImageType(b);
  if (!type) return undefined;
  let wh: [number, number] | undefined;
  if (type === 'jpeg') wh = jpegSize(b);
  else if (type === 'png' && b.length >= 24 && String.fromCharCode(b[12]!, b[13]!, b[14]!, b[15]!) === 'IHDR') wh = [u32be(b, 16), u32be(b, 20)];
  else if (type === 'gif' && b.length >= 10) wh = [u16le(b, 6), u16le(b, 8)];
  else if (type === 'webp') wh = webpSize(b);
  else if (type === 'bmp' && b.length >= 26) wh = [u32le(b, 18), Math.abs(u32le(b, 22) | 0)];
  if (!wh || !(wh[0] > 0) || !(wh[1] > 0)) return { type };
  return { type, width: wh[0], height: wh[1] };
}
