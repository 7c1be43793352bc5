import { resolve } from 'node:path';
import { verifyImages } from '@bears/data/node';
import { existingDir, num, requirePositional } from '../args.js';
import { usageError } from '../cli-error.js';
import type { Command } from '../command.js';

export const verify: Command = {
  name: 'verify',
  summary: 'decode every image; quarantine (or delete) broken ones, fix odd ones',
  usage: 'bears verify <dir> [--delete | --quarantine <dir>] [--max-size N] [--dry-run]',
  details: [
    '<dir>                folder of images (class subfolders are searched too)',
    '--quarantine <dir>   where bad files are moved (default <dir>/.quarantine); nothing is deleted',
    '--delete             delete bad files instead of moving them',
    '--max-size N         downsize images whose longer side exceeds N px (the lesson uses 500)',
    '--dry-run            report only, change nothing',
  ],
  examples: [
    'bears verify data/bears',
    'bears verify data/bears --max-size 500 --json',
    'bears verify data/bears --delete',
  ],
  options: {
    delete: { type: 'boolean', default: false },
    quarantine: { type: 'string' },
    'max-size': { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
  },
  async run({ positionals, values }, out) {
    const dir = existingDir(requirePositional(positionals, 0, 'dir'), 'image folder');
    if (values.delete && values.quarantine) throw usageError('use either --delete or --quarantine, not both');
    let bar: ReturnType<typeof out.progress> | undefined;
    const report = await verifyImages(dir, {
      delete: Boolean(values.delete),
      quarantineDir: typeof values.quarantine === 'string' ? resolve(values.quarantine) : undefined,
      maxSize: num(values['max-size'], 'max-size', { int: true, min: 8 }),
      dryRun: Boolean(values['dry-run']),
      onProgress: (p) => {
        bar ??= out.progress('verify', p.total);
        bar.update(p.done);
      },
    });
    bar?.done();
    const bad = report.entries.filter((e) => e.verdict === 'bad');
    const fixed = report.entries.filter((e) => e.verdict === 'fixed');
    out.print(`${report.checked} files checked: ${report.ok} ok, ${report.fixed} fixed, ${report.bad} bad`);
    for (const e of fixed) out.print(`  fixed ${e.file}: ${e.actions.join(', ')}${e.newFile ? ` -> ${e.newFile}` : ''}`);
    for (const e of bad) {
      const where = e.deleted ? 'deleted' : e.movedTo ? `moved to ${e.movedTo}` : report.dryRun ? 'left (dry run)' : 'left';
      out.print(`  bad   ${e.file}: ${e.reason ?? 'unreadable'} (${where})`);
    }
    if (report.reportFile) out.print(`report: ${report.reportFile}`);
    out.result({
      ok: report.ok + report.fixed,
      bad: bad.map((e) => ({ file: e.file, reason: e.reason ?? 'unreadable' })),
      fixed: fixed.map((e) => ({ file: e.file, actions: e.actions, new_file: e.newFile ?? null })),
      checked: report.checked,
      skipped: report.skipped,
      quarantine: report.quarantineDir ?? null,
      report: report.reportFile ?? null,
      dry_run: report.dryRun,
    });
  },
};
