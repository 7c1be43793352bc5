import type { DatasetRanking } from './types.js';

function cell(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** ranking.csv: file, label, suggested, score, reasons (joined with '; '), most suspicious first. */
export function rankingCsv(r: DatasetRanking): string {
  const lines = ['file,label,split,suggested,score,reasons'];
  for (const it of r.items) lines.push([it.file, it.label, it.split, it.suggested, it.score.toFixed(4), it.reasons.join('; ')].map(cell).join(','));
  return `${lines.join('\n')}\n`;
}
