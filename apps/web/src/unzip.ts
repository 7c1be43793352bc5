// Reads the archives zipFiles() writes (stored entries) back, checking every CRC: tests use it to
// open the Train page's download without an unzip tool.
import { crc32 } from './zip.js';

export function unzipStored(zip: Uint8Array): Record<string, Uint8Array> {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const end = zip.length - 22;
  if (end < 0 || v.getUint32(end, true) !== 0x06054b50) throw new Error('unzip: no end-of-central-directory record (not a zip, or it has a comment)');
  const count = v.getUint16(end + 10, true);
  let p = v.getUint32(end + 16, true);
  const out: Record<string, Uint8Array> = {};
  for (let i = 0; i < count; i++) {
    if (v.getUint32(p, true) !== 0x02014b50) throw new Error(`unzip: bad central directory entry ${i}`);
    if (v.getUint16(p + 10, true) !== 0) throw new Error('unzip: only stored (uncompressed) entries are read here');
    const crc = v.getUint32(p + 16, true);
    const size = v.getUint32(p + 24, true);
    const nameLen = v.getUint16(p + 28, true);
    const extra = v.getUint16(p + 30, true);
    const comment = v.getUint16(p + 32, true);
    const local = v.getUint32(p + 42, true);
    const name = new TextDecoder().decode(zip.subarray(p + 46, p + 46 + nameLen));
    const dataAt = local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true);
    const data = zip.slice(dataAt, dataAt + size);
    if (crc32(data) !== crc) throw new Error(`unzip: ${name} fails its CRC check`);
    out[name] = data;
    p += 46 + nameLen + extra + comment;
  }
  return out;
}
