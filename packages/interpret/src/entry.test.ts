import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = path.dirname(fileURLToPath(import.meta.url));

/** Every source file the entry reaches through relative imports, and every bare import they make. */
function graph(entry: string): { files: string[]; bare: Set<string>; text: Map<string, string> } {
  const files: string[] = [];
  const bare = new Set<string>();
  const text = new Map<string, string>();
  const visit = (file: string) => {
    if (text.has(file)) return;
    const src = readFileSync(file, 'utf8');
    text.set(file, src);
    files.push(path.relative(SRC, file));
    for (const m of src.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
      else bare.add(spec);
    }
  };
  visit(path.join(SRC, entry));
  return { files, bare, text };
}

describe('entries', () => {
  it('the root entry is Web-standard: no node:*, sharp, process or Node-only packages', () => {
    const g = graph('index.ts');
    expect(g.files).not.toContain('node.ts');
    // @bears/learner only for its Preds type (its root entry is Web-standard too).
    expect([...g.bare].sort()).toEqual(['@bears/learner', '@bears/sgd', '@tensorflow/tfjs-core']);
    for (const [file, src] of g.text) expect(src, file).not.toMatch(/\bprocess\.|from 'node:|from 'sharp'/);
  });
});
