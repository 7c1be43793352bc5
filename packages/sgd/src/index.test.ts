import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as api from './index.js';

describe('@bears/sgd entry points', () => {
  it('exports the documented API', () => {
    for (const name of [
      'makeLinearData', 'mse', 'gradientDescent', 'minibatchSgd', 'diagnoseLinearRun', 'leastSquares',
      'SGD', 'Adam', 'AdamW', 'oneCycle', 'constantSchedule', 'cosineSchedule', 'lrRange',
      'lrFinderLrs', 'LossSmoother', 'shouldStopLrFind', 'suggestLrs', 'lrFind', 'diagnoseHistory',
      'linePlotSvg', 'fitAnimationSvg', 'fitAnimationHtml', 'fitFrameSvg', 'lossCurveSvg',
    ]) {
      expect(typeof (api as Record<string, unknown>)[name], name).toBe('function');
    }
  });

  it('keeps the main entry browser-safe: no Node built-ins, no sharp', async () => {
    const res = await build({
      entryPoints: [fileURLToPath(new URL('./index.ts', import.meta.url))],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      metafile: true,
      logLevel: 'silent',
      external: ['@tensorflow/*', '@bears/backend', '@bears/data'],
    });
    const inputs = Object.keys(res.metafile.inputs);
    expect(inputs.some((p) => p.endsWith('png.ts'))).toBe(false);
    const imports = Object.values(res.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
    expect(imports.filter((p) => p.startsWith('node:') || p === 'sharp' || p === 'fs')).toEqual([]);
  });
});
