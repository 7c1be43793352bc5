import { notImageReason, sniffImageType } from '@bears/backend';

export type ImageKind = NonNullable<ReturnType<typeof sniffImageType>>;

// One home for sniffing: @bears/backend. Re-exported for the callers that had it here.
export { notImageReason };

/** Image file extensions matched case-insensitively when listing a dataset. */
export const imageExtensions: readonly string[] = Object.freeze(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.bmp', '.tif', '.tiff', '.avif']);

/** The canonical extension for a sniffed format. */
export function extensionFor(kind: ImageKind): string {
  switch (kind) {
    case 'jpeg': return '.jpg';
    case 'tiff': return '.tif';
    default: return `.${kind}`;
  }
}

/** The lower-cased extension of a file name with either separator ('' when none). */
export function extname(file: string): string {
  const base = file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

export function hasImageExtension(file: string, extensions: readonly string[] = imageExtensions): boolean {
  return extensions.includes(extname(file));
}

/** True if `file` already carries an extension that matches its sniffed content. */
export function extensionMatches(file: string, kind: ImageKind): boolean {
  const ext = extname(file);
  if (kind === 'jpeg') return ext === '.jpg' || ext === '.jpeg';
  if (kind === 'tiff') return ext === '.tif' || ext === '.tiff';
  return ext === `.${kind}`;
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
