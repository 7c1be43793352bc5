/** A PNG whose header claims width x height (a decompression bomb's header; the data is not needed to refuse it). */
export function pngHeader(width: number, height: number): Uint8Array {
  const b = new Uint8Array(33 + 12);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const v = new DataView(b.buffer);
  v.setUint32(16, width);
  v.setUint32(20, height);
  b.set([8, 2, 0, 0, 0], 24);
  return b;
}

/** Multipart body with one file part per entry. */
export function form(files: Record<string, { bytes: Uint8Array; type?: string; name?: string }[]>): FormData {
  const fd = new FormData();
  for (const [field, list] of Object.entries(files)) {
    for (const f of list) fd.append(field, new File([f.bytes as BlobPart], f.name ?? 'photo.jpg', { type: f.type ?? 'image/jpeg' }));
  }
  return fd;
}

/** A body stream without Content-Length (chunked on the wire): n chunks of `size` bytes. */
export function chunkedBody(chunks: number, size: number): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i++ >= chunks) c.close();
      else c.enqueue(new Uint8Array(size).fill(0xff));
    },
  });
}
