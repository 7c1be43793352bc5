import { promises as fs } from 'node:fs';
import { parseUrlList } from './url-list.js';

/** Reads a URL list file (text or CSV, see parseUrlList), naming the file in errors. */
export async function readUrlList(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(e.code === 'ENOENT' ? `URL list not found: ${file}` : `Cannot read URL list ${file}: ${e.message}`);
  }
  try {
    return parseUrlList(text);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
}
