import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RECIPE } from '@bears/learner';
import { SHARED, runCli } from './test-support/run-cli.js';

const BEARS = join(SHARED, 'data/bears');
const WEIGHTS = join(SHARED, 'models/mobilenet_v1_0.75_224');

/** A small subset of the lesson's data (first 12 images per class) plus one broken file to verify away. */
function subset(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bears-cli-e2e-'));
  for (const c of ['black', 'grizzly', 'teddy']) {
    mkdirSync(join(dir, c));
    for (const f of readdirSync(join(BEARS, c)).sort().slice(0, 12)) cpSync(join(BEARS, c, f), join(dir, c, f));
  }
  cpSync(join(SHARED, 'data/bears-dirty/black/syn_truncated.jpg'), join(dir, 'black', 'syn_truncated.jpg'));
  return dir;
}

describe('bears: verify -> train -> predict on a subset of the bears', () => {
  let data = '';
  let model = '';
  beforeAll(() => {
    data = subset();
    model = join(data, '..', `${data.split('/').pop()}-model`);
  });

  it('verify quarantines the broken file', async () => {
    const r = await runCli(['verify', data, '--json']);
    expect(r.code).toBe(0);
    expect(r.json.bad.map((b: { file: string }) => b.file)).toEqual(['black/syn_truncated.jpg']);
    expect(r.json.ok).toBe(36);
  });

  it('train runs a short frozen epoch and an unfrozen one, and exports the model, plots and metrics', async () => {
    const r = await runCli(['train', data, '--out', model, '--epochs', '1', '--unfreeze-epochs', '1', '--size', '128', '--batch-size', '16', '--weights', WEIGHTS, '--json'], { timeoutMs: 300_000 });
    expect(r.stderr).not.toMatch(/Error:/);
    expect(r.code).toBe(0);
    expect(r.json.out).toBe(model);
    expect(r.json.classes).toEqual(['black', 'grizzly', 'teddy']);
    expect(r.json.epochs).toHaveLength(2);
    expect(r.json.epochs.map((e: { phase: string }) => e.phase)).toEqual(['frozen', 'unfrozen']);
    // The default frozen phase trains 5 heads and folds them into one; validation is also reported with tta.
    expect(r.json.ensemble).toMatchObject({ heads: 5 });
    expect(r.json.tta).toMatchObject({ views: DEFAULT_RECIPE.ttaViews });
    expect(typeof r.json.tta.error_rate).toBe('number');
    expect(r.stderr).toMatch(/^ensemble of 5 heads, folded into one head: valid_loss /m);
    expect(r.stderr).toMatch(new RegExp(`^tta \\(plain view \\+ ${DEFAULT_RECIPE.ttaViews} augmented views`, "m"));
    const e = r.json.epochs[0];
    for (const k of ['epoch', 'train_loss', 'valid_loss', 'error_rate', 'seconds']) expect(typeof e[k], k).toBe('number');
    for (const f of ['metadata.json', 'model.json', 'losses.png', 'metrics.json']) expect(existsSync(join(model, f)), f).toBe(true);
    expect(r.stderr).toContain('train_loss'); // the per-epoch table goes to stderr with --json
    // The table says where the unfrozen phase starts; without a TTY each long step is one line, no bar redraws.
    expect(r.stderr).toMatch(/^unfrozen: fitOneCycle\(1, \[0\.000001, 0\.0001\]\): unfreeze\(\), then the whole network trains/m);
    expect(r.stderr).toMatch(/^body activations (\d+)\/\1 in \d\d:\d\d \([\d.]+ (img\/s|s\/img)\)$/m);
    expect(r.stderr).not.toMatch(/\r|skipped /);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('backend: '))).toHaveLength(1);
  }, 300_000);

  it('predict labels images with probabilities per class', async () => {
    const teddy = join(data, 'teddy', readdirSync(join(data, 'teddy'))[0]!);
    const r = await runCli(['predict', model, teddy, '--json']);
    expect(r.code).toBe(0);
    expect(r.json.predictions).toHaveLength(1);
    const p = r.json.predictions[0];
    expect(p.file).toBe(teddy);
    expect(['black', 'grizzly', 'teddy']).toContain(p.label);
    const probs = Object.values(p.probabilities as Record<string, number>);
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    const human = await runCli(['predict', model, teddy]);
    expect(human.stdout).toMatch(/: (black|grizzly|teddy) \(/);
    // tta is the default; --no-tta gives the plain view alone, which differs from the mix.
    const plain = await runCli(['predict', model, teddy, '--no-tta', '--json']);
    expect(plain.code).toBe(0);
    const q = plain.json.predictions[0].probabilities as Record<string, number>;
    expect(Object.keys(q).some((c) => Math.abs(q[c]! - (p.probabilities as Record<string, number>)[c]!) > 1e-6)).toBe(true);
  });

  it('predict on many photos (the model\'s worker copies start) labels each as it labels one', async () => {
    const teddy = join(data, 'teddy', readdirSync(join(data, 'teddy'))[0]!);
    const one = (await runCli(['predict', model, teddy, '--json'])).json.predictions[0].probabilities as Record<string, number>;
    const many = await runCli(['predict', model, ...Array.from({ length: 32 }, () => teddy), '--json']);
    expect(many.code).toBe(0);
    expect(many.json.predictions).toHaveLength(32);
    for (const p of many.json.predictions) for (const c of Object.keys(one)) expect(Math.abs(p.probabilities[c] - one[c]!)).toBeLessThan(1e-5);
  }, 120_000);

  it('predict fails clearly on a corrupt image, a missing model and a model from another version', async () => {
    const bad = join(data, 'corrupt.jpg');
    writeFileSync(bad, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]));
    const r = await runCli(['predict', model, bad, '--json']);
    expect(r.code).toBe(1);
    expect(r.json.predictions[0].error).toMatch(/corrupt|truncated|decode/);

    const missing = await runCli(['predict', join(data, 'nope'), bad]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('model folder not found');

    const old = join(data, '..', `${data.split('/').pop()}-old-model`);
    cpSync(model, old, { recursive: true });
    const meta = JSON.parse(readFileSync(join(old, 'metadata.json'), 'utf8'));
    writeFileSync(join(old, 'metadata.json'), JSON.stringify({ ...meta, formatVersion: 999 }));
    const other = await runCli(['predict', old, bad]);
    expect(other.code).toBe(1);
    expect(other.stderr.trim().split('\n').pop()).toMatch(/^bears predict: .*format version 999/);
  });

  it('lr-find writes the plot and suggests a learning rate', async () => {
    const plot = join(data, '..', `${data.split('/').pop()}-lr.png`);
    const r = await runCli(['lr-find', data, '--out', plot, '--size', '96', '--iterations', '20', '--batch-size', '8', '--weights', WEIGHTS, '--json'], { timeoutMs: 300_000 });
    expect(r.code).toBe(0);
    expect(r.json.plot).toBe(plot);
    expect(readFileSync(plot).subarray(1, 4).toString()).toBe('PNG');
    expect(r.json.iterations).toBeGreaterThan(5);
    if (r.json.suggestion !== null) expect(r.json.suggestion).toBeGreaterThan(0);
  }, 300_000);

  it('train fails with one line on bad input: no --out, one class only, missing folder', async () => {
    const noOut = await runCli(['train', data]);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr.trim()).toBe('bears train: --out <model-dir> is required');

    const one = mkdtempSync(join(tmpdir(), 'bears-cli-one-'));
    cpSync(join(data, 'teddy'), join(one, 'teddy'), { recursive: true });
    const single = await runCli(['train', one, '--out', join(one, 'm'), '--weights', WEIGHTS]);
    expect(single.code).toBe(1);
    expect(single.stderr.trim().split('\n').pop()).toMatch(/^bears train: .*(one class|single class|2 classes|at least two)/i);

    const missing = await runCli(['train', '/no/such/data', '--out', '/tmp/m']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('bears train: data folder not found: /no/such/data');

    const empty = mkdtempSync(join(tmpdir(), 'bears-cli-empty-'));
    const none = await runCli(['train', empty, '--out', join(empty, 'm')]);
    expect(none.code).toBe(1);
    expect(none.stderr.trim().split('\n').pop()).toMatch(/^bears train: /);
  });
});
