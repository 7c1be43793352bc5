import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../test-support/run-cli.js';
import { runMain } from '../test-support/run-main.js';

describe('bears sgd', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bears-cli-sgd-'));

  it('recovers a close to (3, 2) with lr 0.1 and writes the animation and loss curve', async () => {
    const out = join(dir, 'anim.svg');
    const r = await runCli(['sgd', '--json', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.json.steps).toBe(100);
    expect(r.json.a[0]).toBeCloseTo(3, 0);
    expect(r.json.a[1]).toBeCloseTo(2, 0);
    expect(r.json.diagnosis.kind).toBe('converged');
    expect(typeof r.json.loss).toBe('number');
    const svg = readFileSync(out, 'utf8');
    expect(svg).toContain('<svg');
    expect(svg).toMatch(/<animate|@keyframes/);
    expect(existsSync(join(dir, 'anim-loss.svg'))).toBe(true);
  });

  it('diagnoses a learning rate that is too high', async () => {
    const r = await runCli(['sgd', '--lr', '1.1', '--json', '--out', join(dir, 'hi.html')]);
    expect(r.code).toBe(0);
    expect(r.json.diagnosis.kind).toBe('lr-too-high');
    expect(readFileSync(join(dir, 'hi.html'), 'utf8')).toContain('<html');
  });

  it('runs minibatch SGD and writes a GIF', async () => {
    const r = await runCli(['sgd', '--batch-size', '10', '--steps', '50', '--json', '--out', join(dir, 'mb.gif')]);
    expect(r.code).toBe(0);
    expect(r.json.batch_size).toBe(10);
    expect(readFileSync(join(dir, 'mb.gif')).subarray(0, 4).toString()).toBe('GIF8');
  });

  it('prints a table for people without --json', async () => {
    const r = await runCli(['sgd', '--out', join(dir, 'p.svg')]);
    expect(r.stdout).toContain('recovered a:');
    expect(r.stdout).toContain('diagnosis:');
  });

  it('rejects bad values with one line', async () => {
    for (const args of [['--lr', 'abc'], ['--steps', '0'], ['--out', join(dir, 'x.png')], ['--batch-size', '1000']]) {
      const r = await runCli(['sgd', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n').pop()).toMatch(/^bears sgd: /);
    }
  });

  it('the plot says the same names as --help: y = a1*x + a2, and the loss axis stays above zero', async () => {
    const help = await runMain(['sgd', '--help']);
    expect(help.stdout).toContain('y = a1*x + a2');
    const out = join(dir, 'names.svg');
    expect((await runMain(['sgd', '--steps', '20', '--out', out])).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('fitting y = a1*x + a2</text>');
    const ticks = [...readFileSync(join(dir, 'names-loss.svg'), 'utf8').matchAll(/text-anchor="end">(-?[\d.e-]+)<\/text>/g)].map((m) => Number(m[1]));
    expect(ticks.length).toBeGreaterThan(2);
    expect(Math.min(...ticks)).toBeGreaterThanOrEqual(0);
  });
});
