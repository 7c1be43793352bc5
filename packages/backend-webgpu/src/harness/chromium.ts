import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Where Debian/Ubuntu packages and Chrome installs put the binary; BEARS_CHROMIUM overrides. */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

export const INSTALL_HINT = 'install it with `sudo apt-get install -y chromium` (Debian/Ubuntu; .ci/run does this) or point BEARS_CHROMIUM at a Chromium/Chrome binary';

export function findChromium(env: Record<string, string | undefined> = process.env, exists: (p: string) => boolean = existsSync): string {
  const override = env.BEARS_CHROMIUM;
  if (override) {
    if (!exists(override)) throw new Error(`BEARS_CHROMIUM=${override} does not exist`);
    return override;
  }
  const found = CANDIDATES.find((p) => exists(p));
  if (!found) throw new Error(`Chromium not found (looked in ${CANDIDATES.join(', ')}): ${INSTALL_HINT}`);
  return found;
}

/**
 * Headless Chromium with WebGPU on (SwiftShader's Vulkan adapter when there is no GPU), WebGL on
 * SwiftShader, and everything that phones home off so runs are offline and repeatable.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
];

export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  const executablePath = findChromium();
  return chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs], timeout: 60_000 });
}
