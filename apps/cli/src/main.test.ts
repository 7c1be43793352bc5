import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './test-support/run-cli.js';
import { runMain } from './test-support/run-main.js';

describe('bears (top level)', () => {
  it('prints the command list and exits 2 with no command', async () => {
    const r = await runCli([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('Commands, in the lesson');
    for (const c of ['download', 'verify', 'sgd']) expect(r.stdout).toContain(c);
  });

  it('--help exits 0', async () => {
    expect((await runCli(['--help'])).code).toBe(0);
  });

  it('an unknown command fails with one line naming it', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });

  it('every command of the lesson is available: no "not yet available" section', async () => {
    const r = await runCli(['--help']);
    for (const c of ['download', 'verify', 'lr-find', 'train', 'predict', 'interpret', 'clean', 'serve', 'sgd']) expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    expect(r.stdout).not.toContain('Not yet available');
  });

  it('an unknown flag is a usage error', async () => {
    const r = await runCli(['sgd', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bears sgd: .*bogus/);
  });

  it('a bad --valid-resize is a usage error naming the choices', async () => {
    const r = await runCli(['train', '.', '--out', '/tmp/bears-cli-never', '--valid-resize', 'zoom']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--valid-resize must be squish, crop or pad, got 'zoom'");
  });

  it('every command has --help with examples', async () => {
    for (const c of ['download', 'verify', 'sgd']) {
      const r = await runCli([c, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: bears ${c}`);
      expect(r.stdout).toContain('Examples:');
    }
  });

  it('a bad --threads is a usage error naming the flag', async () => {
    const r = await runCli(['sgd', '--threads', '0', '--out', '/tmp/bears-cli-never.svg']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--threads must be a whole number >= 1 or 'auto', got '0'");
  });

  it('an unknown backend fails with the package to install, in JSON too', async () => {
    const r = await runCli(['sgd', '--backend', 'webgpu', '--json', '--out', '/tmp/bears-cli-never.svg']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('@bears/backend-webgpu');
    expect(r.json.error).toContain('webgpu');
  });
});

describe('bears, in-process (main(argv, streams))', () => {
  it('a mistyped flag: unknown option --epoch (did you mean --epochs?)', async () => {
    const r = await runMain(['train', '.', '--out', '/tmp/bears-cli-never', '--epoch', '3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('bears train: unknown option --epoch (did you mean --epochs?)\n');
  });

  it('--steps -5 says which values are allowed', async () => {
    const r = await runMain(['sgd', '--steps', '-5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("bears sgd: --steps must be an integer from 1 to 100000, got '-5'\n");
  });

  it('a mistyped command gets a suggestion', async () => {
    const r = await runMain(['trian']);
    expect(r.stderr).toContain("unknown command 'trian' (did you mean train?");
  });

  it('says which backend runs in one line; why others were skipped only with --verbose', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bears-cli-quiet-'));
    const quiet = await runMain(['sgd', '--steps', '5', '--out', join(dir, 'a.svg')]);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr.split('\n').filter((l) => l.startsWith('backend: '))).toHaveLength(1);
    expect(quiet.stderr).not.toContain('skipped');
    const verbose = await runMain(['sgd', '--steps', '5', '--out', join(dir, 'b.svg'), '--verbose']);
    expect(verbose.code).toBe(0);
    expect(verbose.stderr).toMatch(/^ {2}skipped \S+: /m);
  });

  it('a backend asked for by name that cannot run fails with its reason', async () => {
    const r = await runMain(['sgd', '--backend', 'webgpu', '--out', '/tmp/bears-cli-never.svg']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('@bears/backend-webgpu');
  });
});
