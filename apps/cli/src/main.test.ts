import { describe, expect, it } from 'vitest';
import { runCli } from './test-support/run-cli.js';

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

  it('commands that arrive with later packages are refused with the reason', async () => {
    const r = await runCli(['serve', 'model']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('@bears/serve');
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
