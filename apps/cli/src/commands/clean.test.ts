import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import sharp from 'sharp';
import { BIN, runCli } from '../test-support/run-cli.js';

/** Starts `bears clean` as a user would and resolves with its first stdout line (the URL). */
function startServer(args: string[]) {
  const child = spawn(process.execPath, [BIN, 'clean', ...args], { env: { ...process.env, BEARS_BACKEND: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const firstLine = new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', (line) => {
      stdout += `${line}\n`;
      rl.on('line', (l) => (stdout += `${l}\n`));
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`bears clean exited with ${code}: ${stderr}`)));
  });
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  return { child, firstLine, exited, output: () => ({ stdout, stderr }) };
}

const FILES = ['grizzly/g1.png', 'black/b1.png', 'teddy/t1.png', 'black/b2.png', 'grizzly/g2.png', 'teddy/t2.png', 'black/b3.png', 'teddy/t3.png', 'grizzly/g3.png'];

/** Nine small PNGs in three class folders, and a DatasetRanking over them as `bears interpret` writes it. */
async function dataset() {
  const dir = mkdtempSync(path.join(tmpdir(), 'bears-cli-clean-'));
  for (const [i, file] of FILES.entries()) {
    mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
    await sharp({ create: { width: 32, height: 24, channels: 3, background: { r: i * 25, g: 255 - i * 25, b: 128 } } }).png().toFile(path.join(dir, file));
  }
  const items = FILES.map((file, i) => ({ file, label: file.split('/')[0]!, split: 'train', suggested: file.split('/')[0]!, score: 1 - i / 10, reasons: [], signals: {} }));
  const ranking = { version: 1, classes: ['black', 'grizzly', 'teddy'], items, duplicates: [], createdAt: new Date().toISOString() };
  const rankingFile = path.join(path.dirname(dir), `${path.basename(dir)}-ranking.json`);
  writeFileSync(rankingFile, JSON.stringify(ranking));
  return { dir, rankingFile };
}

describe('bears clean', () => {
  it('serves on 127.0.0.1, prints the URL first, takes actions with the token, and stops on Ctrl+C', async () => {
    const { dir, rankingFile } = await dataset();
    const srv = startServer([dir, '--ranking', rankingFile, '--no-open']);
    const line = await srv.firstLine;
    expect(line).toMatch(/^cleaner: http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
    const url = new URL(line.slice('cleaner: '.length));
    const token = url.searchParams.get('token')!;
    try {
      expect((await fetch(url)).status).toBe(200);
      expect((await fetch(new URL('/', url))).status).toBe(401);
      const state = await (await fetch(new URL('/api/state', url), { headers: { 'x-bears-token': token } })).json();
      expect(state.counts.total).toBe(9);
      const items = (await (await fetch(new URL('/api/items', url), { headers: { 'x-bears-token': token } })).json()).items;
      const b1 = items.find((i: { name: string }) => i.name === 'black/b1.png').id;
      const del = await fetch(new URL('/api/decide', url), { method: 'POST', headers: { 'x-bears-token': token, 'content-type': 'application/json' }, body: JSON.stringify({ id: b1, decision: 'delete' }) });
      expect(del.status).toBe(200);
      expect(existsSync(path.join(dir, '.bears-clean/trash/black/b1.png'))).toBe(true);
      // A second cleaner on the same dataset is refused while this one runs.
      const second = await runCli(['clean', dir, '--undo']);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/another bears clean \(pid \d+\)/);
    } finally {
      srv.child.kill('SIGINT');
    }
    expect(await srv.exited).toBe(0);
    expect(srv.output().stdout).toMatch(/reviewed 1 of 9: 1 deleted, 0 relabeled/);
    expect(srv.output().stdout).toMatch(/1 files in the trash/);
    expect(readFileSync(path.join(dir, 'cleaned.csv'), 'utf8')).not.toContain('black/b1.png');

    // From the terminal: undo, then nothing left to undo.
    const undo = await runCli(['clean', dir, '--undo', '--json']);
    expect(undo.code).toBe(0);
    expect(undo.json.undone).toEqual([1]);
    expect(existsSync(path.join(dir, 'black/b1.png'))).toBe(true);
    const none = await runCli(['clean', dir, '--undo']);
    expect(none.code).toBe(1);
    expect(none.stderr.trim()).toBe('bears clean: nothing to undo');
  });

  it('--apply applies a decisions CSV as one step; --undo --all reverses everything', async () => {
    const { dir, rankingFile } = await dataset();
    mkdirSync(path.join(dir, '.bears-clean'), { recursive: true });
    writeFileSync(path.join(dir, '.bears-clean/ranking.json'), readFileSync(rankingFile));
    const csv = path.join(path.dirname(dir), `${path.basename(dir)}-decisions.csv`);
    writeFileSync(csv, 'file,decision,label\nblack/b1.png,delete,\ngrizzly/g1.png,relabel,black\n');
    const r = await runCli(['clean', dir, '--apply', csv, '--json']);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ seq: 1, changed: 2, counts: { deleted: 1, relabeled: 1 } });
    expect(existsSync(path.join(dir, 'black/g1.png'))).toBe(true);
    expect(readFileSync(path.join(dir, 'cleaned.csv'), 'utf8')).toContain('black/g1.png,black\n');
    writeFileSync(csv, 'file,decision\n../outside.png,delete\n');
    const refused = await runCli(['clean', dir, '--apply', csv]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refused path '\.\.\/outside\.png'/);
    const all = await runCli(['clean', dir, '--undo', '--all']);
    expect(all.code).toBe(0);
    expect(existsSync(path.join(dir, 'grizzly/g1.png'))).toBe(true);
    expect(existsSync(path.join(dir, 'black/b1.png'))).toBe(true);
  });

  it('--empty-trash asks (refuses without a terminal unless --yes) and is the only real removal', async () => {
    const { dir } = await dataset();
    const csv = path.join(path.dirname(dir), `${path.basename(dir)}-d.csv`);
    writeFileSync(csv, 'file,decision\nteddy/t2.png,delete\n');
    expect((await runCli(['clean', dir, '--apply', csv])).code).toBe(0);
    const ask = await runCli(['clean', dir, '--empty-trash']);
    expect(ask.code).toBe(1);
    expect(ask.stderr).toMatch(/1 files .* in the trash: pass --yes/);
    expect(existsSync(path.join(dir, '.bears-clean/trash/teddy/t2.png'))).toBe(true);
    const yes = await runCli(['clean', dir, '--empty-trash', '--yes', '--json']);
    expect(yes.json.removed).toBe(1);
    expect(existsSync(path.join(dir, '.bears-clean/trash'))).toBe(false);
    expect((await runCli(['clean', dir, '--empty-trash'])).stdout).toMatch(/the trash is empty/);
  });

  it('fails with one line on bad usage', async () => {
    const { dir } = await dataset();
    const noModel = await runCli(['clean', dir, '--no-open']);
    expect(noModel.code).toBe(2);
    expect(noModel.stderr.trim()).toBe('bears clean: missing --model <model-dir> (or --ranking <ranking.json>)');
    expect((await runCli(['clean', dir, '--undo', '--empty-trash'])).code).toBe(2);
    expect((await runCli(['clean', dir, '--all'])).code).toBe(2);
    expect((await runCli(['clean', '/no/such/dir', '--undo'])).stderr.trim()).toBe('bears clean: data folder not found: /no/such/dir');
    // A folder that is not an exported model: one line, nothing written into the dataset but the cache folder.
    const notModel = await runCli(['clean', dir, '--model', path.join(dir, 'black'), '--no-open']);
    expect(notModel.code).toBe(1);
    expect(notModel.stderr.trim().split('\n').at(-1)).toMatch(/^bears clean: /);
    expect(existsSync(path.join(dir, 'cleaned.csv'))).toBe(false);
    const badRanking = path.join(dir, 'x.json');
    writeFileSync(badRanking, '{"version":2}');
    const bad = await runCli(['clean', dir, '--ranking', badRanking, '--no-open']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/is not a DatasetRanking: version 2/);
  });
});
