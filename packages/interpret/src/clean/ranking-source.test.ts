import { existsSync, promises as fs, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRanking, parseRanking, rankingCachePath } from './ranking-source.js';
import { syntheticDataset } from './test-support/fixtures.js';

describe('ranking source', () => {
  it('checks the DatasetRanking shape with a message that says what is wrong', () => {
    expect(() => parseRanking('nope', 'r.json')).toThrow(/r.json is not JSON/);
    expect(() => parseRanking('{"version":2}', 'r.json')).toThrow(/version 2 \(expected 1\)/);
    expect(() => parseRanking('{"version":1,"classes":["a"],"items":[{"file":"a/x.jpg","label":"a","split":"test","reasons":[]}]}', 'r.json')).toThrow(/split 'test'/);
    expect(() => parseRanking('{"version":1,"classes":["a"],"items":[],"duplicates":[{"files":["a/x.jpg"]}]}', 'r.json')).toThrow(/two or more files/);
    expect(parseRanking('{"version":1,"classes":["a"],"items":[]}', 'r.json').duplicates).toEqual([]);
  });

  it('takes a given file, then reuses the cache, computes only when asked or when there is none', async () => {
    const { dir, ranking } = await syntheticDataset();
    await expect(loadRanking(dir)).rejects.toThrow(/no ranking for/);
    const file = path.join(path.dirname(dir), `${path.basename(dir)}-ranking.json`);
    writeFileSync(file, JSON.stringify(ranking));
    expect((await loadRanking(dir, { rankingFile: file })).source).toBe('file');
    expect(existsSync(rankingCachePath(dir))).toBe(true);
    let computed = 0;
    const compute = async () => {
      computed++;
      return { ...ranking, createdAt: 'now' };
    };
    expect((await loadRanking(dir, { compute })).source).toBe('cache');
    expect(computed).toBe(0);
    const fresh = await loadRanking(dir, { compute, refresh: true });
    expect(fresh.source).toBe('computed');
    expect((await loadRanking(dir)).ranking.createdAt).toBe('now');
  });

  it('never writes its cache through a link that leads out of the dataset', async () => {
    const { dir, ranking } = await syntheticDataset();
    const elsewhere = await fs.mkdtemp(path.join(path.dirname(dir), 'elsewhere-'));
    await fs.symlink(elsewhere, path.join(dir, '.bears-clean'));
    await expect(loadRanking(dir, { compute: async () => ranking })).rejects.toThrow(/leads outside/);
    expect(await fs.readdir(elsewhere)).toEqual([]);
  });
});
