// Plots as SVG strings (any runtime); @bears/interpret/node renders them to PNG.

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

/** The confusion matrix, cells shaded by their share of the row, with the counts written in. */
export function confusionMatrixSvg(classes: string[], m: number[][], title = 'Confusion matrix'): string {
  const cell = 90;
  const size = classes.length * cell;
  const labelW = 40 + Math.max(...classes.map((c) => c.length)) * 9;
  // Wide enough for the title (about 11 px per bold character at 20 px), the matrix centred.
  const width = Math.max(labelW + size + 30, title.length * 11.5 + 40);
  const left = labelW + (width - (labelW + size + 30)) / 2;
  const top = 110;
  const height = top + size + 40;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, Arial, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="28" font-size="20" text-anchor="middle" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${left + size / 2}" y="${top - 48}" font-size="15" text-anchor="middle">Predicted</text>`,
    `<text x="${left - labelW + 16}" y="${top + size / 2}" font-size="15" text-anchor="middle" transform="rotate(-90 ${left - labelW + 16} ${top + size / 2})">Actual</text>`,
  ];
  m.forEach((row, a) => {
    const total = row.reduce((x, y) => x + y, 0) || 1;
    parts.push(`<text x="${left - 10}" y="${top + a * cell + cell / 2 + 5}" font-size="14" text-anchor="end">${escapeXml(classes[a]!)}</text>`);
    row.forEach((v, p) => {
      const share = v / total;
      // Blues: white (0) to dark blue (1), as matplotlib's plot_confusion_matrix.
      const r = Math.round(247 - share * (247 - 8));
      const g = Math.round(251 - share * (251 - 48));
      const b = Math.round(255 - share * (255 - 107));
      const x = left + p * cell;
      const y = top + a * cell;
      parts.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="rgb(${r},${g},${b})" stroke="#cccccc"/>`);
      parts.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 7}" font-size="20" text-anchor="middle" fill="${share > 0.5 ? '#ffffff' : '#000000'}">${v}</text>`);
    });
  });
  classes.forEach((c, p) => parts.push(`<text x="${left + p * cell + cell / 2}" y="${top - 12}" font-size="14" text-anchor="middle">${escapeXml(c)}</text>`));
  parts.push('</svg>');
  return parts.join('\n');
}

export interface Tile {
  /** A data: URL (PNG or JPEG) of the picture. */
  href: string;
  /** Lines under the picture. */
  lines: string[];
  /** Colour of the caption (e.g. red for a wrong prediction). */
  colour?: string;
  /** Fit the picture inside the square keeping its shape (default: fill the square). */
  keepAspect?: boolean;
}

/** Pictures in a grid with captions, and a title. */
export function tileGridSvg(tiles: Tile[], options: { columns?: number; tile?: number; title?: string } = {}): string {
  const cols = Math.max(1, Math.min(options.columns ?? 3, tiles.length || 1));
  const t = options.tile ?? 224;
  const lineH = 17;
  const captionLines = Math.max(1, ...tiles.map((x) => x.lines.length));
  const cellW = t + 20;
  const cellH = t + 14 + captionLines * lineH + 10;
  const titleH = options.title ? 44 : 10;
  const rows = Math.ceil(tiles.length / cols);
  const width = Math.max(cols * cellW + 10, (options.title?.length ?? 0) * 10.5 + 40);
  const height = titleH + rows * cellH + 10;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}" font-family="DejaVu Sans, Arial, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  if (options.title) parts.push(`<text x="${width / 2}" y="28" font-size="18" text-anchor="middle" font-weight="bold">${escapeXml(options.title)}</text>`);
  tiles.forEach((tile, i) => {
    const x = 10 + (i % cols) * cellW;
    const y = titleH + Math.floor(i / cols) * cellH;
    parts.push(`<image x="${x}" y="${y}" width="${t}" height="${t}" xlink:href="${tile.href}" href="${tile.href}" preserveAspectRatio="${tile.keepAspect ? 'xMidYMid meet' : 'none'}"/>`);
    tile.lines.forEach((line, j) => {
      parts.push(`<text x="${x + t / 2}" y="${y + t + 18 + j * lineH}" font-size="13" text-anchor="middle" fill="${tile.colour ?? '#000000'}">${escapeXml(line)}</text>`);
    });
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** A heat value 0..1 as RGB (the 'jet' ramp: blue, cyan, yellow, red). */
export function heatColour(v: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, v));
  const r = Math.min(1, Math.max(0, 1.5 - Math.abs(4 * x - 3)));
  const g = Math.min(1, Math.max(0, 1.5 - Math.abs(4 * x - 2)));
  const b = Math.min(1, Math.max(0, 1.5 - Math.abs(4 * x - 1)));
  return [Math.round(r * 255), Math.round(g * 255), Math.round(b * 255)];
}

/**
 * Blends an h x w heat map (0..1, any resolution, bilinear upsampled) over RGB pixels:
 * the class-activation picture of Grad-CAM.
 */
export function overlayHeatmap(rgb: Uint8Array, width: number, height: number, heat: Float32Array, hh: number, hw: number, alpha = 0.45): Uint8Array {
  const out = new Uint8Array(rgb.length);
  for (let y = 0; y < height; y++) {
    const fy = Math.min(hh - 1, Math.max(0, ((y + 0.5) * hh) / height - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(hh - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(hw - 1, Math.max(0, ((x + 0.5) * hw) / width - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(hw - 1, x0 + 1);
      const wx = fx - x0;
      const v = (1 - wy) * ((1 - wx) * heat[y0 * hw + x0]! + wx * heat[y0 * hw + x1]!) + wy * ((1 - wx) * heat[y1 * hw + x0]! + wx * heat[y1 * hw + x1]!);
      const [r, g, b] = heatColour(v);
      const i = (y * width + x) * 3;
      out[i] = Math.round((1 - alpha) * rgb[i]! + alpha * r);
      out[i + 1] = Math.round((1 - alpha) * rgb[i + 1]! + alpha * g);
      out[i + 2] = Math.round((1 - alpha) * rgb[i + 2]! + alpha * b);
    }
  }
  return out;
}
