import { existsSync, readdirSync } from 'node:fs';
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../test-support/run-cli.js';

// @bears/interpret's test fixture (a tiny exported model over a colour folder with a planted label
// error), loaded at run time so the CLI's type check does not compile another package's tests.
interface Fixture {
  dataDir: string;
  modelDir: string;
  mislabeled: string;
}
interface FixtureModule {
  tinyExport(): Promise<Fixture>;
  tempDir(prefix?: string): Promise<string>;
}
let fx: Fixture;
let tempDir: FixtureModule['tempDir'];
beforeAll(async () => {
  const m = (await import(new URL('../../../../packages/interpret/src/test-support/tiny-model.ts', import.meta.url).href)) as FixtureModule;
  tempDir = m.tempDir;
  fx = await m.tinyExport();
}, 120_000);

describe('bears interpret', () => {
  it('writes the plots and the ranking, prints the tables, and --json ends with the result', async () => {
    const out = join(await tempDir('bears-cli-interp-'), 'out');
    const r = await runCli(['interpret', fx.modelDir, fx.dataDir, '--out', out, '--json', '--top', '4']);
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['confusion_matrix.png', 'duplicates.png', 'ranking.csv', 'ranking.json', 'top_losses.png']);
    expect(r.json.confusion).toHaveLength(3);
    expect(r.json.topLosses).toHaveLength(4);
    expect(Array.isArray(r.json.mostConfused)).toBe(true);
    expect(r.json.suspicious).toHaveLength(38);
    expect(r.json.suspicious.slice(0, 3).map((s: { file: string }) => s.file)).toContain(fx.mislabeled);
    expect(Object.keys(r.json.suspicious[0]).sort()).toEqual(['file', 'label', 'reasons', 'score', 'suggested']);
    expect(r.stderr).toMatch(/pixels .*38\/38/);
    expect(r.stderr).toMatch(/predict .*38\/38/);
    expect(r.stderr).toMatch(/k-fold .*5\/5/);

    const text = await runCli(['interpret', fx.modelDir, fx.dataDir, '--out', out]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/actual \\ predicted\s+blue\s+green\s+red/);
    expect(text.stdout).toMatch(/Most suspicious of 38 images/);
    expect(text.stdout).toContain('red/from-blue.png');
  });

  it('a missing folder, a model of other classes or an unreadable image: one-line error, nothing written', async () => {
    const root = await tempDir('bears-cli-interp-bad-');
    const out = join(root, 'out');
    const missing = await runCli(['interpret', fx.modelDir, join(root, 'nope'), '--out', out]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/^bears interpret: .*nope/);

    const other = join(root, 'pets');
    for (const c of ['cat', 'dog']) await cp(join(fx.dataDir, 'red'), join(other, c), { recursive: true });
    const wrong = await runCli(['interpret', fx.modelDir, other, '--out', out]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim().split('\n').pop()).toMatch(/^bears interpret: the model was trained on blue, green, red, but .* has class folder\(s\) cat, dog/);

    const broken = join(root, 'broken');
    await cp(fx.dataDir, broken, { recursive: true });
    await writeFile(join(broken, 'blue', 'bad.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 1, 2]));
    const bad = await runCli(['interpret', fx.modelDir, broken, '--out', out, '--json']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n').pop()).toMatch(/^bears interpret: .*bad\.jpg/);
    expect(bad.json.error).toMatch(/bad\.jpg/);
    expect(existsSync(out)).toBe(false);
  });

  it('needs --out', async () => {
    const r = await runCli(['interpret', fx.modelDir, fx.dataDir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing --out/);
  });
});
