// Assembles src/kernels/wasm/*.wat into src/kernels/wasm/*.wasm.ts (base64), for the plain and the
// shared (threaded) tfjs heap. The generated files are committed: building the package needs no wabt.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const dir = fileURLToPath(new URL('../src/kernels/wasm/', import.meta.url));
const wabt = await wabtInit();
for (const file of readdirSync(dir).filter((f) => f.endsWith('.wat'))) {
  const source = readFileSync(dir + file, 'utf8');
  const variants = { plain: source.replace('MEMORY_MAX', ''), shared: source.replace('MEMORY_MAX', '65536 shared') };
  const out = {};
  for (const [name, text] of Object.entries(variants)) {
    const mod = wabt.parseWat(file, text, { simd: true, threads: true, bulk_memory: true });
    mod.validate({ simd: true, threads: true, bulk_memory: true });
    out[name] = Buffer.from(mod.toBinary({}).buffer).toString('base64');
    mod.destroy();
  }
  const target = file.replace(/\.wat$/, '.wasm.ts');
  writeFileSync(dir + target,
    `// Generated from ${file} by scripts/build-wasm.mjs: do not edit.\n` +
    `export const plain = '${out.plain}';\nexport const shared = '${out.shared}';\n`);
  console.log(`${target}: ${Buffer.from(out.plain, 'base64').length} bytes`);
}
