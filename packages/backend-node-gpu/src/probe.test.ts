import { describe, expect, it } from 'vitest';
import { libraryDirs, loadLibraryWithNode, parseLdconfig, systemProbe } from './probe.js';

describe('parseLdconfig', () => {
  it('reads 64-bit entries and ignores 32-bit ones', () => {
    const out = `3 libs found in cache \`/etc/ld.so.cache'
\tlibcudnn.so.8 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcudnn.so.8
\tlibcudart.so.11.0 (libc6,x86-64) => /usr/local/cuda-11.2/targets/x86_64-linux/lib/libcudart.so.11.0
\tlibcuda.so.1 (libc6) => /usr/lib/i386-linux-gnu/libcuda.so.1
\tlibcuda.so.1 (libc6, i386) => /usr/lib/i386-linux-gnu/libcuda.so.1
`;
    expect(parseLdconfig(out)).toEqual([
      { name: 'libcudnn.so.8', path: '/usr/lib/x86_64-linux-gnu/libcudnn.so.8' },
      { name: 'libcudart.so.11.0', path: '/usr/local/cuda-11.2/targets/x86_64-linux/lib/libcudart.so.11.0' },
      { name: 'libcuda.so.1', path: '/usr/lib/i386-linux-gnu/libcuda.so.1' },
    ]);
  });
});

describe('libraryDirs', () => {
  it('searches LD_LIBRARY_PATH, CUDA_HOME and every /usr/local/cuda-* install', () => {
    const dirs = libraryDirs({ LD_LIBRARY_PATH: '/opt/x/lib:/opt/y/lib', CUDA_HOME: '/usr/local/cuda' }, 'linux', (d) => (d === '/usr/local' ? ['cuda', 'cuda-11.2', 'bin'] : []));
    expect(dirs.slice(0, 3)).toEqual(['/opt/x/lib', '/opt/y/lib', '/usr/local/cuda/lib64']);
    expect(dirs).toContain('/usr/local/cuda-11.2/lib64');
    expect(dirs).toContain('/usr/local/cuda-11.2/targets/x86_64-linux/lib');
    expect(dirs).not.toContain('/usr/local/bin/lib64');
    expect(new Set(dirs).size).toBe(dirs.length);
  });
  it('searches PATH and CUDA_PATH on Windows', () => {
    expect(libraryDirs({ PATH: 'C:\\a;C:\\b', CUDA_PATH: 'C:\\CUDA\\v11.2' }, 'win32', () => [])).toEqual(['C:\\a', 'C:\\b', expect.stringMatching(/CUDA.v11\.2.bin$/)]);
  });
});

describe.runIf(process.platform === 'linux')('the real dynamic-loader probe (Linux)', () => {
  it('loads a library that exists (libc) and reports a missing one as missing', () => {
    expect(loadLibraryWithNode('libc.so.6')).toEqual({ ok: true });
    const missing = loadLibraryWithNode('libbears-no-such-library.so.7');
    expect(missing).toEqual({ ok: false, missing: true, error: expect.stringMatching(/cannot open shared object file/) });
  });
  it('finds library files through ldconfig and the usual folders', () => {
    const files = systemProbe({}).findLibraryFiles('libc.so');
    expect(files.some((f) => f.path.endsWith('/libc.so.6'))).toBe(true);
  });
});
