#!/usr/bin/env node
// The `bears` bin. It is committed (not built) so that `npm install` links node_modules/.bin/bears
// even before the first build; it runs the compiled CLI, or says how to build it.
import { existsSync } from 'node:fs';

const dist = new URL('../dist/bin.js', import.meta.url);
if (existsSync(dist)) {
  await import(dist.href);
} else {
  process.stderr.write('bears: the CLI is not built yet: run `npm install && npm run build` in the repository root first\n');
  process.exitCode = 1;
}
