import type { DatasetRanking } from './types.js';

function cell(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** ranking.csv: file, label, suggested, score, reasons (joined with '; '), split; most suspicious first. */
export function rankingCsv(r: DatasetRanking): string {
  const lines = ['file,label,suggested,score,reasons,split'];
  for (const it of r.items) lines.push([it.file, it.label, it.suggested, it.score.toFixed(4), it.reasons.join('; '), it.split].map(cell).join(','));
  return `${lines.join('\n')}\n`;
}
