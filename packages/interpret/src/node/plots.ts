import { svgToPng } from '@bears/sgd/png';
import { resizeFit } from '@bears/data';
import path from 'node:path';
import sharp from 'sharp';
import type { ClassificationInterpretation } from '../interpretation.js';
import { confusionMatrixSvg, overlayHeatmap, tileGridSvg, type Tile } from '../plots.js';
import type { DuplicateGroup } from '../types.js';
import type { InterpretModel } from './core-adapter.js';

async function tileOf(file: string, size: number, fit: 'cover' | 'fill' | 'contain' = 'cover', background: string | { r: number; g: number; b: number } = '#000000'): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(file).rotate().flatten({ background: '#ffffff' }).toColourspace('srgb').resize(size, size, { fit, background }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

async function dataUrl(rgb: { data: Uint8Array; width: number; height: number }): Promise<string> {
  const png = await sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
  return `data:image/jpeg;base64,${png.toString('base64')}`;
}

/** The confusion matrix as a PNG. */
export async function plotConfusionMatrix(interp: ClassificationInterpretation, title?: string): Promise<Uint8Array> {
  return svgToPng(confusionMatrixSvg(interp.classes, interp.confusionMatrix(), title));
}

/**
 * fastai's plot_top_losses: the k worst images with "predicted / actual / loss / probability"
 * under each, and a Grad-CAM heat map (for the predicted class) over each when a model is given.
 */
export async function plotTopLosses(interp: ClassificationInterpretation, root: string, k = 9, model?: InterpretModel): Promise<Uint8Array> {
  const top = interp.topLosses(k);
  const cam = model?.gradCam();
  const tiles: Tile[] = [];
  const size = model?.inputSize ?? 224;
  const fit = resizeFit(model?.metadata.resize ?? 'crop');
  const input = new Float32Array(size * size * 3);
  for (const t of top) {
    const file = path.join(root, t.item);
    let rgb = await tileOf(file, size, fit);
    if (model && cam) {
      await model.prepare(file, input, 0);
      const { heat, h, w } = cam.heatmap(input, size, model.classes.indexOf(t.predicted));
      rgb = { ...rgb, data: overlayHeatmap(rgb.data, rgb.width, rgb.height, heat, h, w) };
    }
    tiles.push({
      href: await dataUrl(rgb),
      lines: [`${t.predicted} / ${t.actual} / ${t.loss.toFixed(2)} / ${t.probability.toFixed(2)}`, t.item],
      colour: t.predicted === t.actual ? '#000000' : '#b00020',
    });
  }
  return svgToPng(tileGridSvg(tiles, { columns: 3, title: 'Prediction / Actual / Loss / Probability' + (cam ? ' (Grad-CAM of the prediction)' : '') }));
}

/** Duplicate groups side by side, one row per group (cross-class groups first, in red). */
export async function plotDuplicates(groups: DuplicateGroup[], root: string, maxGroups = 10): Promise<Uint8Array> {
  // Cross-class first (one of them is mislabeled), then train/valid leakage, then the rest.
  const weight = (g: DuplicateGroup) => (g.crossClass ? 2 : 0) + (g.crossSplit ? 1 : 0);
  const shown = [...groups].sort((a, b) => weight(b) - weight(a)).slice(0, maxGroups);
  const cols = Math.min(4, Math.max(2, ...shown.map((g) => g.files.length)));
  const white = { r: 255, g: 255, b: 255 };
  const tiles: Tile[] = [];
  for (const g of shown) {
    for (let j = 0; j < cols; j++) {
      const f = g.files[j];
      if (!f) {
        tiles.push({ href: 'data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', lines: [''] });
        continue;
      }
      tiles.push({
        href: await dataUrl(await tileOf(path.join(root, f), 160, 'contain', white)),
        lines: [f.length > 28 ? `…${f.slice(-27)}` : f, `${g.kind} ${g.similarity.toFixed(2)}${g.crossClass ? ' cross-class' : ''}${g.crossSplit ? ' train/valid' : ''}`],
        colour: g.crossClass ? '#b00020' : g.crossSplit ? '#a05a00' : '#000000',
      });
    }
  }
  return svgToPng(tileGridSvg(tiles, { columns: cols, tile: 160, title: `Duplicate groups (${groups.length} found; ${shown.length} shown)` }));
}
