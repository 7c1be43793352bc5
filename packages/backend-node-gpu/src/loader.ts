import { createRequire } from 'node:module';

/** How the plugins find and load the optional tfjs-node packages (tests inject fakes). */
export interface ModuleLoader {
  /** The installed version, or undefined when the package cannot be resolved from here. */
  installedVersion(name: string): string | undefined;
  /** Imports the package (runs its side effects: tfjs-node registers and selects 'tensorflow'). */
  load(name: string): Promise<unknown>;
}

export function nodeModuleLoader(): ModuleLoader {
  const require = createRequire(import.meta.url);
  return {
    installedVersion(name) {
      try {
        return (require(`${name}/package.json`) as { version?: string }).version ?? '0.0.0';
      } catch {
        return undefined;
      }
    },
    // A variable specifier keeps bundlers and tsc from resolving the optional package at build time.
    load: (name) => import(/* @vite-ignore */ name),
  };
}
