import type { CleanStore, ItemState } from './store.js';

/*
 * What the page receives: items by opaque id with display names, filtered and paged on the server
 * so the page only ever holds one page of the dataset.
 */

export interface ItemView {
  id: string;
  /** Display name: where the file is now (its original name while it sits in the trash). */
  name: string;
  original: string;
  label: string;
  originalLabel: string;
  suggested: string;
  split: string;
  score: number;
  reasons: string[];
  decision: string | null;
  /** The action that undo on this item reverses, when it can be undone. */
  undo: number | null;
  blocked: string | null;
}

export interface ItemFilter {
  label?: string;
  split?: string;
  reason?: string;
  status?: 'todo' | 'reviewed' | 'changed';
}

/** The kind of a reason: 'label issue (p=0.03)' -> 'label issue', 'near duplicate of x.jpg' -> 'near duplicate', 'outlier in teddy' -> 'outlier'. */
export function reasonKind(reason: string): string {
  return reason.split(/\s*[(:]|\s+(?:of|in)\s+/)[0]!.trim().toLowerCase();
}

export function itemView(store: CleanStore, it: ItemState): ItemView {
  const r = it.ranked;
  return {
    id: it.id,
    name: it.decision === 'delete' || !it.location ? it.file : it.location,
    original: it.file,
    label: it.label,
    originalLabel: it.originalLabel,
    suggested: r?.suggested ?? it.originalLabel,
    split: r?.split ?? '',
    score: r?.score ?? 0,
    reasons: r?.reasons ?? [],
    decision: it.decision ?? null,
    undo: store.undoableFor(it) ?? null,
    blocked: it.blocked ?? (it.location === null ? 'emptied from the trash' : null),
  };
}

export function matches(it: ItemState, f: ItemFilter): boolean {
  const r = it.ranked;
  if (!r) return false;
  if (f.label && it.originalLabel !== f.label) return false;
  if (f.split && r.split !== f.split) return false;
  if (f.reason && !r.reasons.some((x) => reasonKind(x) === f.reason)) return false;
  if (f.status === 'todo' && it.decision) return false;
  if (f.status === 'reviewed' && !it.decision) return false;
  if (f.status === 'changed' && it.decision !== 'delete' && it.decision !== 'relabel') return false;
  return true;
}

/** The values each filter can take, with counts, for the filter menus. */
export function facets(store: CleanStore): { labels: [string, number][]; splits: [string, number][]; reasons: [string, number][] } {
  const labels = new Map<string, number>(store.classes.map((c) => [c, 0]));
  const splits = new Map<string, number>();
  const reasons = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const it of store.items.values()) {
    if (!it.ranked) continue;
    bump(labels, it.originalLabel);
    bump(splits, it.ranked.split);
    for (const k of new Set(it.ranked.reasons.map(reasonKind))) bump(reasons, k);
  }
  return { labels: [...labels], splits: [...splits], reasons: [...reasons].sort((a, b) => b[1] - a[1]) };
}
