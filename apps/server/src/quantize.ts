#!/usr/bin/env node
// npm run quantize -- --model <dir> --out <dir>: a float16 copy of an export (half the size).
import { parseArgs } from 'node:util';
import { writeFloat16Export } from '@bears/serve/node';

const { values } = parseArgs({ options: { model: { type: 'string' }, out: { type: 'string' } }, strict: true });
if (!values.model || !values.out) {
  process.stderr.write('Usage: npm run quantize -- --model <exported-model-dir> --out <new-dir>\n');
  process.exitCode = 2;
} else {
  try {
    const { bytesBefore, bytesAfter } = await writeFloat16Export(values.model, values.out);
    process.stdout.write(`${JSON.stringify({ out: values.out, weightsDtype: 'float16', bytesBefore, bytesAfter })}\n`);
  } catch (err) {
    process.stderr.write(`quantize: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
