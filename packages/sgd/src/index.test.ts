import { describe, expect, it } from 'vitest';
import * as api from './index.js';

// The browser bundle of the root entry (no node:*, no sharp) is checked with the other portable
// entries in packages/backend-webgpu/src/root-bundles.test.ts.
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
});
