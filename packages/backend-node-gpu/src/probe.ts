import { execFileSync } from 'node:child_process';
import { readdirSync, realpathSync } from 'node:fs';
import { basename, delimiter, join } from 'node:path';

export type LoadResult = { ok: true } | { ok: false; error: string; missing: boolean };

export interface LibraryFile {
  /** The name found (symlink or file), e.g. /usr/local/cuda-11.2/lib64/libcudart.so.11.0. */
  path: string;
  /** The file it resolves to, whose name usually holds the full version (libcudart.so.11.2.152). */
  realPath: string;
}

export type NvidiaSmiResult = { ok: true; output: string } | { ok: false; error: string };

/**
 * Everything GPU detection reads from the machine, behind one interface so the decision logic
 * is pure and unit-tested with fakes (this project's CI has no GPU).
 */
export interface SystemProbe {
  platform: string;
  arch: string;
  env: Record<string, string | undefined>;
  /** Asks the dynamic loader for a library by name, exactly as libtensorflow will. */
  loadLibrary(name: string): LoadResult;
  /** Library files on disk whose name starts with `family` (every version), from the loader cache and usual CUDA folders. */
  findLibraryFiles(family: string): LibraryFile[];
  /** `nvidia-smi --query-gpu=...` output in CSV (no header, no units). */
  nvidiaSmi(): NvidiaSmiResult;
}

/**
 * dlopen through Node: process.dlopen() loads the library with the system loader's search
 * rules (LD_LIBRARY_PATH, ld.so.cache, RUNPATH defaults), then fails with "did not
 * self-register" because it is not a Node addon: that failure means the library loaded.
 */
export function loadLibraryWithNode(name: string): LoadResult {
  try {
    process.dlopen({ exports: {} } as NodeJS.Module, name);
    return { ok: true };
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    if (/did not self-register|Module did not self-register/i.test(message)) return { ok: true };
    const missing = /cannot open shared object file|No such file|specified module could not be found|image not found/i.test(message);
    return { ok: false, error: message, missing };
  }
}

/** Parses `ldconfig -p` lines: "\tlibcudart.so.11.0 (libc6,x86-64) => /usr/local/cuda/lib64/libcudart.so.11.0". */
export function parseLdconfig(output: string): Array<{ name: string; path: string }> {
  const out: Array<{ name: string; path: string }> = [];
  for (const line of output.split('\n')) {
    const m = /^\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(\S+)\s*$/.exec(line);
    if (m && !/i386|x32/.test(m[2]!)) out.push({ name: m[1]!, path: m[3]! });
  }
  return out;
}

/** Folders CUDA and cuDNN installers use, searched for version hints (not for loading). */
export function libraryDirs(env: Record<string, string | undefined>, platform: string, listDir: (dir: string) => string[]): string[] {
  const dirs: string[] = [];
  const fromEnv = platform === 'win32' ? env.PATH ?? env.Path : env.LD_LIBRARY_PATH;
  if (fromEnv) dirs.push(...fromEnv.split(platform === 'win32' ? ';' : delimiter).filter(Boolean));
  if (platform === 'win32') {
    const cudaPath = env.CUDA_PATH;
    if (cudaPath) dirs.push(join(cudaPath, 'bin'));
    return [...new Set(dirs)];
  }
  if (env.CUDA_HOME) dirs.push(join(env.CUDA_HOME, 'lib64'));
  for (const root of ['/usr/local', '/opt']) {
    for (const entry of listDir(root)) {
      if (/^cuda(-[\d.]+)?$/.test(entry)) dirs.push(join(root, entry, 'lib64'), join(root, entry, 'targets', 'x86_64-linux', 'lib'));
    }
  }
  dirs.push('/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu');
  return [...new Set(dirs)];
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function safeRealpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** The real machine. */
export function systemProbe(env: Record<string, string | undefined> = process.env): SystemProbe {
  let ldcache: Array<{ name: string; path: string }> | undefined;
  const ldconfig = () => {
    if (ldcache) return ldcache;
    ldcache = [];
    for (const bin of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
      try {
        ldcache = parseLdconfig(execFileSync(bin, ['-p'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }));
        break;
      } catch {
        // try the next location
      }
    }
    return ldcache;
  };
  return {
    platform: process.platform,
    arch: process.arch,
    env,
    loadLibrary: loadLibraryWithNode,
    findLibraryFiles(family) {
      const seen = new Map<string, LibraryFile>();
      const lower = family.toLowerCase();
      if (process.platform === 'linux') {
        for (const { name, path } of ldconfig()) if (name.startsWith(family)) seen.set(path, { path, realPath: safeRealpath(path) });
      }
      for (const dir of libraryDirs(env, process.platform, safeList)) {
        for (const entry of safeList(dir)) {
          if (!entry.toLowerCase().startsWith(lower)) continue;
          const path = join(dir, entry);
          if (!seen.has(path)) seen.set(path, { path, realPath: safeRealpath(path) });
        }
      }
      return [...seen.values()].sort((a, b) => basename(a.path).localeCompare(basename(b.path)));
    },
    nvidiaSmi() {
      const run = (fields: string) =>
        execFileSync('nvidia-smi', [`--query-gpu=${fields}`, '--format=csv,noheader,nounits'], { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        return { ok: true, output: run('name,driver_version,memory.total,compute_cap') };
      } catch (first) {
        try {
          // Drivers before 510 cannot report compute_cap.
          return { ok: true, output: run('name,driver_version,memory.total') };
        } catch {
          const e = first as Error & { code?: string; stderr?: string };
          return { ok: false, error: e.code === 'ENOENT' ? 'nvidia-smi not found (no NVIDIA driver installed?)' : (e.stderr?.trim() || e.message) };
        }
      }
    },
  };
}
