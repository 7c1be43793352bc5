// Runs the example end to end in a temp folder and checks what it prints and writes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { test } from 'node:test';

test('prints the recovered parameters and writes the animation', () => {
  const out = mkdtempSync(join(tmpdir(), 'sgd-example-'));
  try {
    const res = spawnSync(process.execPath, [new URL('./index.js', import.meta.url).pathname, '--out', out, '--no-gif'], {
      encoding: 'utf8',
      env: { ...process.env, BEARS_BACKEND: 'wasm' },
    });
    assert.equal(res.status, 0, res.stderr);
    const m = /recovered a\s+\((-?[\d.]+), (-?[\d.]+)\)/.exec(res.stdout);
    assert.ok(m, res.stdout);
    assert.ok(Math.abs(Number(m[1]) - 3) < 0.15 && Math.abs(Number(m[2]) - 2) < 0.1, `recovered ${m[1]}, ${m[2]}`);
    assert.match(res.stdout, /Learning rate too low/);
    assert.match(res.stdout, /Learning rate too high/);
    assert.deepEqual(readdirSync(out).sort(), ['sgd-animation.html', 'sgd-animation.svg', 'sgd-learning-rates.svg', 'sgd-loss.png', 'sgd-loss.svg', 'sgd-minibatch-loss.svg']);
    const svg = readFileSync(join(out, 'sgd-animation.svg'), 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal((svg.match(/<animate attributeName="y1"/g) ?? []).length, 1);
    assert.match(readFileSync(join(out, 'sgd-animation.html'), 'utf8'), /^<!doctype html>/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
