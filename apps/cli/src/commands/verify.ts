import { join, relative, resolve } from 'node:path';
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
    const typed = requirePositional(positionals, 0, 'dir');
    const dir = existingDir(typed, 'image folder');
    if (values.delete && values.quarantine) throw usageError('use either --delete or --quarantine, not both');
    let bar: ReturnType<typeof out.progress> | undefined;
    const report = await verifyImages(dir, {
      delete: Boolean(values.delete),
      quarantineDir: typeof values.quarantine === 'string' ? resolve(values.quarantine) : undefined,
      maxSize: num(values['max-size'], 'max-size', { int: true, min: 8 }),
      dryRun: Boolean(values['dry-run']),
      onProgress: (p) => {
        bar ??= out.progress('verify', p.total, 'file');
        bar.update(p.done);
      },
    });
    bar?.done();
    const bad = report.entries.filter((e) => e.verdict === 'bad');
    const fixed = report.entries.filter((e) => e.verdict === 'fixed');
    const dry = report.dryRun;
    // A dry run changes nothing, so it says what it would do ("would convert", "would move"), never "fixed".
    const verb = { converted: 'convert', renamed: 'rename', resized: 'resize' } as const;
    // Paths inside the folder are shown the way the user typed the folder; others in full.
    const show = (p: string) => (relative(dir, p).startsWith('..') ? p : join(typed, relative(dir, p)));
    const quarantine = report.quarantineDir ? show(report.quarantineDir) : undefined;
    out.print(`${report.checked} files checked: ${report.ok} ok, ${report.fixed} ${dry ? 'to fix' : 'fixed'}, ${report.bad} bad${dry ? ' (dry run: nothing changed)' : ''}`);
    for (const e of fixed) {
      const actions = dry ? `would ${e.actions.map((a) => verb[a]).join(' and ')}` : e.actions.join(', ');
      const why = e.reason ? ` (${e.reason})` : '';
      out.print(`  ${dry ? 'to fix' : 'fixed '} ${e.file}: ${actions}${e.newFile ? ` -> ${e.newFile}` : ''}${why}`);
    }
    for (const e of bad) {
      const where = dry
        ? values.delete
          ? 'would delete'
          : `would move to ${quarantine ? `${quarantine}/${e.file}` : 'the quarantine'}`
        : e.deleted
          ? 'deleted'
          : e.movedTo
            ? `moved to ${show(e.movedTo)}`
            : 'left';
      out.print(`  bad    ${e.file}: ${e.reason ?? 'unreadable'} (${where})`);
    }
    if (report.reportFile) out.print(`report: ${show(report.reportFile)}`);
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
