import type { ActiveBackend, ImageCodec, RgbImage } from '@bears/backend';
import { resizeFit } from '@bears/data';
import type { ExportedModel } from '@bears/learner';
import { svgToPng } from '@bears/sgd/node';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClassificationInterpretation } from '../interpretation.js';
import { confusionMatrixSvg, overlayHeatmap, tileGridSvg, type Tile } from '../plots.js';
import type { DuplicateGroup } from '../types.js';
import { codecOf, gradCamOf } from './folder.js';

/** A picture for a tile, decoded by the backend's codec like the model's input. */
async function tileOf(codec: ImageCodec, file: string, size: number, fit: 'cover' | 'fill' | 'contain' | 'inside'): Promise<RgbImage> {
  return codec.decodeRgb(await readFile(file), { size, fit });
}

async function dataUrl(codec: ImageCodec, rgb: RgbImage): Promise<string> {
  return `data:image/png;base64,${Buffer.from(await codec.encodePng(rgb)).toString('base64')}`;
}

/** The confusion matrix as a PNG. */
export async function plotConfusionMatrix(interp: ClassificationInterpretation, title?: string): Promise<Uint8Array> {
  return svgToPng(confusionMatrixSvg(interp.classes, interp.confusionMatrix(), title));
}

/**
 * fastai's plot_top_losses: the k worst images with "predicted / actual / loss / probability"
 * under each, and a Grad-CAM heat map (for the predicted class) over each when a model is given.
 */
export async function plotTopLosses(interp: ClassificationInterpretation, root: string, k = 9, model?: ExportedModel, backend?: ActiveBackend): Promise<Uint8Array> {
  const top = interp.topLosses(k);
  const codec = codecOf(backend);
  const cam = model ? gradCamOf(model) : undefined;
  const tiles: Tile[] = [];
  const size = model?.inputSize ?? 224;
  const fit = resizeFit(model?.input.resize ?? 'crop');
  for (const t of top) {
    const file = path.join(root, t.item);
    let rgb = await tileOf(codec, file, size, fit);
    if (model && cam) {
      const input = await model.prepare(await readFile(file));
      const { heat, h, w } = cam.heatmap(input, size, model.classes.indexOf(t.predicted));
      rgb = { ...rgb, data: overlayHeatmap(rgb.data, rgb.width, rgb.height, heat, h, w) };
    }
    tiles.push({
      href: await dataUrl(codec, rgb),
      lines: [`${t.predicted} / ${t.actual} / ${t.loss.toFixed(2)} / ${t.probability.toFixed(2)}`, t.item],
      colour: t.predicted === t.actual ? '#000000' : '#b00020',
    });
  }
  return svgToPng(tileGridSvg(tiles, { columns: 3, title: 'Prediction / Actual / Loss / Probability' + (cam ? ' (Grad-CAM of the prediction)' : '') }));
}

/** Duplicate groups side by side, one row per group (cross-class groups first, in red). */
export async function plotDuplicates(groups: DuplicateGroup[], root: string, maxGroups = 10, backend?: ActiveBackend): Promise<Uint8Array> {
  const codec = codecOf(backend);
  // Cross-class first (one of them is mislabeled), then train/valid leakage, then the rest.
  const weight = (g: DuplicateGroup) => (g.crossClass ? 2 : 0) + (g.crossSplit ? 1 : 0);
  const shown = [...groups].sort((a, b) => weight(b) - weight(a)).slice(0, maxGroups);
  const cols = Math.min(4, Math.max(2, ...shown.map((g) => g.files.length)));
  const tiles: Tile[] = [];
  for (const g of shown) {
    for (let j = 0; j < cols; j++) {
      const f = g.files[j];
      if (!f) {
        tiles.push({ href: 'data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', lines: [''] });
        continue;
      }
      tiles.push({
        href: await dataUrl(codec, await tileOf(codec, path.join(root, f), 160, 'inside')),
        lines: [f.length > 28 ? `…${f.slice(-27)}` : f, `${g.kind} ${g.similarity.toFixed(2)}${g.crossClass ? ' cross-class' : ''}${g.crossSplit ? ' train/valid' : ''}`],
        colour: g.crossClass ? '#b00020' : g.crossSplit ? '#a05a00' : '#000000',
        keepAspect: true,
      });
    }
  }
  return svgToPng(tileGridSvg(tiles, { columns: cols, tile: 160, title: `Duplicate groups (${groups.length} found; ${shown.length} shown)` }));
}
