#!/usr/bin/env node
import { main } from './main.js';

// Exit through the event loop (not process.exit) so stdout is flushed when piped.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`bears: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
