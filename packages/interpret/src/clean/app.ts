import { promises as fs } from 'node:fs';
import { sniffImageType } from '@bears/backend';
import { Hono } from 'hono';
import sharp from 'sharp';
import { bodyLimit } from 'hono/body-limit';
import { resolveInside } from './dataset-paths.js';
import type { Decision } from './journal.js';
import { pageAssets, renderPage, renderRefusal } from './page/assets.js';
import { cookieName, guard, securityHeaders, type GuardOptions } from './security.js';
import { CleanError, type CleanStore, type DecisionInput } from './store.js';
import { BROKEN_IMAGE_SVG, Thumbnails } from './thumbnails.js';
import { facets, itemView, matches, type ItemFilter } from './views.js';

export interface CleanerAppOptions extends GuardOptions {
  store: CleanStore;
  thumbnails?: Thumbnails;
}

const ID = /^[0-9a-f]{16}$/;
const DECISIONS: readonly Decision[] = ['keep', 'delete', 'relabel'];

/**
 * The cleaner's HTTP surface. The page, its two assets, read routes and action routes; every item is
 * named by its opaque id. Security (Host, token, headers) is in ./security.ts and wraps every route.
 */
export function createCleanerApp(opts: CleanerAppOptions): Hono {
  const { store } = opts;
  const thumbs = opts.thumbnails ?? new Thumbnails(store.rootReal);
  const app = new Hono();
  app.use('*', securityHeaders());
  app.use('*', guard(opts));
  app.use('/api/*', bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.json({ error: 'request body too large' }, 413) }));

  app.onError((err, c) => {
    if (err instanceof CleanError) return c.json({ error: err.message }, err.status);
    if (err instanceof SyntaxError) return c.json({ error: 'request body must be JSON' }, 400);
    return c.json({ error: `internal error: ${err.message}` }, 500);
  });
  app.notFound((c) => c.json({ error: 'not found' }, 404));

  app.get('/', (c) => {
    const token = c.get('bearsToken' as never) as string | undefined;
    if (!token) return c.html(renderRefusal(), 401);
    c.header('Set-Cookie', `${cookieName(opts.token)}=${opts.token}; Path=/; HttpOnly; SameSite=Strict`);
    return c.html(renderPage({ token: opts.token, dataset: store.dataDir }));
  });
  for (const [name, asset] of Object.entries(pageAssets())) {
    app.get(`/assets/${name}`, (c) => c.body(asset.body, 200, { 'Content-Type': asset.type, 'Cache-Control': 'no-cache' }));
  }

  app.get('/api/version', (c) => c.json({ version: store.version }));

  app.get('/api/state', (c) => {
    const groups = duplicateGroups(store);
    return c.json({
      version: store.version,
      classes: store.classes,
      counts: store.counts(),
      facets: facets(store),
      duplicates: { groups: groups.length, open: groups.filter((g) => !g.resolved).length },
      recovered: store.recovered,
      canUndo: store.lastUndoable() !== undefined,
      history: store.history().slice(-30).reverse().map((h) => ({
        seq: h.seq, at: h.at, kind: h.kind, undoes: h.undoes ?? null, undone: h.undone, undoable: h.undoable,
        files: h.changes.map((ch) => ch.file),
      })),
    });
  });

  app.get('/api/items', (c) => {
    const q = c.req.query();
    const filter: ItemFilter = {
      label: q.label || undefined,
      split: q.split || undefined,
      reason: q.reason || undefined,
      status: (['todo', 'reviewed', 'changed'] as const).find((s) => s === q.status),
    };
    const { offset, limit } = paging(q);
    const all = [...store.items.values()].filter((it) => matches(it, filter));
    return c.json({ version: store.version, total: all.length, offset, items: all.slice(offset, offset + limit).map((it) => itemView(store, it)) });
  });

  app.get('/api/duplicates', async (c) => {
    const { offset, limit } = paging(c.req.query());
    const groups = duplicateGroups(store);
    const page = groups.slice(offset, offset + limit);
    // Pixel size and bytes help pick which copy to keep.
    for (const g of page) {
      for (const v of g.items) Object.assign(v, await fileFacts(store, v.id));
    }
    return c.json({ version: store.version, total: groups.length, offset, groups: page });
  });

  app.post('/api/decide', async (c) => {
    const body = (await c.req.json()) as { id?: unknown; decision?: unknown; label?: unknown };
    const item = itemById(store, body.id);
    if (!DECISIONS.includes(body.decision as Decision)) throw new CleanError(`decision must be one of ${DECISIONS.join(', ')}`);
    const input: DecisionInput = { file: item.file, decision: body.decision as Decision, ...(typeof body.label === 'string' ? { label: body.label } : {}) };
    const record = await store.decide([input], input.decision);
    return c.json({ ok: true, seq: record?.seq ?? null, version: store.version, counts: store.counts(), item: itemView(store, item) });
  });

  app.post('/api/duplicates/resolve', async (c) => {
    const body = (await c.req.json()) as { group?: unknown; keep?: unknown };
    const groups = duplicateGroups(store);
    const group = typeof body.group === 'number' ? groups.find((g) => g.index === body.group) : undefined;
    if (!group) throw new CleanError('unknown duplicate group', 404);
    if (!Array.isArray(body.keep) || !body.keep.length) throw new CleanError('keep must list at least one id of the group');
    const ids = group.items.map((i) => i.id);
    for (const id of body.keep) if (!ids.includes(id as string)) throw new CleanError(`${String(id)} is not in this group`);
    const inputs = group.items.map((i) => ({ file: i.original, decision: (body.keep as string[]).includes(i.id) ? 'keep' : 'delete' }) as DecisionInput);
    const record = await store.decide(inputs, 'duplicates');
    return c.json({ ok: true, seq: record?.seq ?? null, version: store.version, counts: store.counts() });
  });

  app.post('/api/undo', async (c) => {
    const body = (await c.req.json()) as { seq?: unknown };
    if (body.seq !== undefined && !Number.isInteger(body.seq)) throw new CleanError('seq must be an integer');
    const record = await store.undo(body.seq as number | undefined);
    return c.json({ ok: true, seq: record.seq, undid: record.undoes, version: store.version, counts: store.counts(), files: record.changes.map((ch) => ch.file) });
  });

  app.get('/img/:id', async (c) => {
    const abs = await fileOf(store, c.req.param('id'));
    const bytes = await fs.readFile(abs);
    const kind = sniffImageType(bytes);
    if (!kind) return c.json({ error: 'not an image' }, 415);
    return c.body(bytes, 200, { 'Content-Type': `image/${kind}`, 'Cache-Control': 'no-cache' });
  });

  app.get('/thumb/:id', async (c) => {
    const id = c.req.param('id');
    const abs = await fileOf(store, id);
    try {
      const bytes = await thumbs.get(id, abs);
      return c.body(bytes, 200, { 'Content-Type': 'image/webp', 'Cache-Control': 'private, max-age=3600' });
    } catch {
      return c.body(BROKEN_IMAGE_SVG, 200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'no-cache' });
    }
  });

  return app;
}

function paging(q: Record<string, string>): { offset: number; limit: number } {
  const offset = Math.max(0, Math.floor(Number(q.offset) || 0));
  const limit = Math.min(200, Math.max(1, Math.floor(Number(q.limit) || 60)));
  return { offset, limit };
}

function itemById(store: CleanStore, id: unknown) {
  if (typeof id !== 'string' || !ID.test(id)) throw new CleanError('id must be an item id', 400);
  const item = store.byItemId(id);
  if (!item) throw new CleanError('no such item', 404);
  return item;
}

/** The file of an item, re-checked on every request (a link swapped in meanwhile is refused). */
async function fileOf(store: CleanStore, id: string): Promise<string> {
  const item = itemById(store, id);
  if (item.blocked) throw new CleanError(item.blocked, 403);
  if (!item.location) throw new CleanError('emptied from the trash', 404);
  try {
    return await resolveInside(store.rootReal, item.location, { allowCleanDir: true, mustExist: true });
  } catch (err) {
    throw new CleanError((err as Error).message, 403);
  }
}

async function fileFacts(store: CleanStore, id: string): Promise<{ width?: number; height?: number; bytes?: number }> {
  try {
    const abs = await fileOf(store, id);
    const [meta, st] = await Promise.all([sharp(abs).metadata(), fs.stat(abs)]);
    return { width: meta.autoOrient?.width ?? meta.width, height: meta.autoOrient?.height ?? meta.height, bytes: st.size };
  } catch {
    return {};
  }
}

function duplicateGroups(store: CleanStore) {
  const out = [];
  const groups = store.ranking?.duplicates ?? [];
  for (let index = 0; index < groups.length; index++) {
    const g = groups[index]!;
    const items = g.files.map((f) => store.items.get(f)).filter((x) => x !== undefined);
    if (items.length < 2) continue;
    const views = items.map((it) => itemView(store, it));
    out.push({
      index, kind: g.kind, similarity: g.similarity, crossClass: g.crossClass, crossSplit: g.crossSplit,
      resolved: views.every((v) => v.decision !== null), items: views,
    });
  }
  return out;
}
