import { cpSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHARED, runCli } from '../test-support/run-cli.js';
import { runMain } from '../test-support/run-main.js';

const DIRTY = join(SHARED, 'data/bears-dirty');

describe('bears verify', () => {
  it('flags exactly the broken files of bears-dirty and quarantines them (nothing deleted)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bears-cli-verify-'));
    cpSync(DIRTY, dir, { recursive: true });
    const r = await runCli(['verify', dir, '--json']);
    expect(r.code).toBe(0);
    const bad = r.json.bad.map((b: { file: string }) => b.file.split('/').pop()).sort();
    expect(bad).toEqual(['pz_00000121.php', 'syn_empty.jpg', 'syn_html_page.jpg', 'syn_truncated.jpg']);
    for (const b of r.json.bad) expect(typeof b.reason).toBe('string');
    expect(r.json.ok).toBe(63);
    expect(existsSync(join(dir, 'black', 'syn_truncated.jpg'))).toBe(false);
    expect(readdirSync(r.json.quarantine, { recursive: true }).map(String).some((f) => f.endsWith('syn_truncated.jpg'))).toBe(true);
  });

  it('--delete removes bad files; --dry-run changes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bears-cli-verify-'));
    cpSync(join(DIRTY, 'teddy'), join(dir, 'teddy'), { recursive: true });
    const dry = await runCli(['verify', dir, '--dry-run', '--json']);
    expect(dry.json.bad).toHaveLength(2);
    expect(existsSync(join(dir, 'teddy', 'syn_empty.jpg'))).toBe(true);
    const del = await runCli(['verify', dir, '--delete', '--json']);
    expect(del.json.bad).toHaveLength(2);
    expect(existsSync(join(dir, 'teddy', 'syn_empty.jpg'))).toBe(false);
  });

  it('a dry run says what it would do ("would convert", "would move"), never "fixed"', async () => {
    const r = await runMain(['verify', DIRTY, '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^67 files checked: 60 ok, 3 to fix, 4 bad \(dry run: nothing changed\)$/m);
    expect(r.stdout).toMatch(/^ {2}to fix black\/ya_00000031\.jpg: would convert \(webp format\)$/m);
    expect(r.stdout).toMatch(/^ {2}to fix grizzly\/pz_00000022\.jpg;w=960: would rename -> grizzly\/pz_00000022\.jpg/m);
    expect(r.stdout).toMatch(/^ {2}bad {4}black\/syn_truncated\.jpg: .* \(would move to .*\.quarantine\/black\/syn_truncated\.jpg\)$/m);
    expect(r.stdout).not.toMatch(/fixed|moved to/);
    expect(existsSync(join(DIRTY, '.quarantine'))).toBe(false);
    const del = await runMain(['verify', DIRTY, '--dry-run', '--delete']);
    expect(del.stdout).toMatch(/syn_empty\.jpg: empty file \(0 bytes\) \(would delete\)$/m);
  });

  it('fails with one line on a missing folder or conflicting flags', async () => {
    const missing = await runCli(['verify', '/no/such/folder']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('bears verify: image folder not found: /no/such/folder');
    const both = await runCli(['verify', tmpdir(), '--delete', '--quarantine', '/tmp/q']);
    expect(both.code).toBe(2);
  });
});
