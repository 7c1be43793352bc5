import { parseCsv } from './csv.js';

const URL_COLUMNS = ['url', 'urls', 'image_url', 'imageurl', 'image', 'link', 'src', 'contenturl'];

/**
 * Parses a URL list: one URL per line (blank lines, surrounding spaces and duplicates ignored),
 * or a CSV whose header has a `url` column (also image_url, link, src). Order is kept.
 */
export function parseUrlList(text: string): string[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n|\r/).map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length === 0) return [];
  const first = lines[0]!;
  let urls: string[];
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(first) && first.includes(',')) {
    const rows = parseCsv(text.replace(/^\uFEFF/, ''));
    const header = rows[0]!.map((h) => h.trim().toLowerCase());
    const col = URL_COLUMNS.map((name) => header.indexOf(name)).find((i) => i >= 0);
    if (col === undefined) {
      throw new Error(`CSV has no url column (header: ${rows[0]!.join(', ')}); name one of: ${URL_COLUMNS.join(', ')}`);
    }
    urls = rows.slice(1).map((r) => (r[col] ?? '').trim()).filter((u) => u !== '');
  } else {
    // A one-column CSV: a lone 'url' header line is not a URL.
    urls = URL_COLUMNS.includes(first.toLowerCase()) ? lines.slice(1) : lines;
  }
  return [...new Set(urls)];
}
