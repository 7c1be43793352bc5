import { existsSync, promises as fs, readdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCleanerApp } from './app.js';
import { cookieName } from './security.js';
import { CleanStore, itemId } from './store.js';
import { syntheticDataset } from './test-support/fixtures.js';

const TOKEN = 'test-token-0123456789abcdef';
const HOST = '127.0.0.1:5999';
let store: CleanStore;
let dir: string;
let app: ReturnType<typeof createCleanerApp>;
let outside: string;

beforeEach(async () => {
  const ds = await syntheticDataset();
  dir = ds.dir;
  outside = path.join(path.dirname(dir), `outside-${path.basename(dir)}.png`);
  await fs.copyFile(path.join(dir, 'black/b3.png'), outside);
  await fs.symlink(outside, path.join(dir, 'black/link.png'));
  ds.ranking.items.push({ ...ds.ranking.items[8]!, file: 'black/link.png', label: 'black', reasons: [] });
  store = await CleanStore.open(dir, ds.ranking);
  app = createCleanerApp({ store, token: TOKEN, hosts: () => [HOST, 'localhost:5999'] });
});
afterEach(async () => {
  await store.close();
});

const id = (file: string) => itemId(file);
const cookie = `${cookieName(TOKEN)}=${TOKEN}`;
function get(p: string, headers: Record<string, string> = {}) {
  return app.request(`http://${HOST}${p}`, { headers: { host: HOST, cookie, ...headers } });
}
function post(p: string, body: unknown, headers: Record<string, string> = {}) {
  return app.request(`http://${HOST}${p}`, {
    method: 'POST',
    headers: { host: HOST, 'content-type': 'application/json', 'x-bears-token': TOKEN, origin: `http://${HOST}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
const has = (key: string) => existsSync(path.join(dir, key));

describe('cleaner app: security', () => {
  it('answers only its own Host (no DNS rebinding)', async () => {
    for (const host of ['evil.example:5999', 'attacker.test', '127.0.0.1:6000', '0.0.0.0:5999']) {
      const r = await app.request(`http://${HOST}/api/state`, { headers: { host, cookie } });
      expect(r.status, host).toBe(403);
      expect((await r.json()).error).toMatch(/does not answer to Host/);
    }
    expect((await get('/api/state', { host: 'localhost:5999' })).status).toBe(200);
  });

  it('serves the page only with the session token, and sets the session cookie', async () => {
    expect((await get('/', { cookie: '' })).status).toBe(401);
    expect((await get('/?token=wrong', { cookie: '' })).status).toBe(401);
    const r = await get(`/?token=${TOKEN}`, { cookie: '' });
    expect(r.status).toBe(200);
    expect(r.headers.get('set-cookie')).toContain(`${cookieName(TOKEN)}=${TOKEN}; Path=/; HttpOnly; SameSite=Strict`);
    const html = await r.text();
    expect(html).toContain('<meta name="bears-token"');
    expect(html).toContain('src="/assets/app.js"');
    expect((await get('/')).status).toBe(200); // the cookie alone, after a reload
  });

  it('sends CSP, no framing, nosniff and no-referrer on every response, errors included', async () => {
    for (const r of [await get(`/?token=${TOKEN}`), await get('/api/state'), await get('/nope'), await get('/api/state', { cookie: '' }), await post('/api/decide', '{')]) {
      const csp = r.headers.get('content-security-policy')!;
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });

  it('requires the token for reads and the token header (not the cookie) for every change', async () => {
    expect((await get('/api/state', { cookie: '' })).status).toBe(403);
    expect((await get('/api/items', { cookie: 'bears_clean_x=nope' })).status).toBe(403);
    expect((await get(`/thumb/${id('black/b1.png')}`, { cookie: '' })).status).toBe(403);
    expect((await get(`/img/${id('black/b1.png')}`, { cookie: '' })).status).toBe(403);
    expect((await get('/api/state', { cookie: '', 'x-bears-token': TOKEN })).status).toBe(200);
    const body = { id: id('black/b1.png'), decision: 'delete' };
    expect((await post('/api/decide', body, { 'x-bears-token': '' , cookie })).status).toBe(403);
    expect((await post('/api/decide', body, { 'x-bears-token': 'wrong' })).status).toBe(403);
    expect((await post('/api/undo', {}, { 'x-bears-token': '' })).status).toBe(403);
    expect((await post('/api/duplicates/resolve', {}, { 'x-bears-token': '' })).status).toBe(403);
    expect((await post('/api/decide', body, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await post('/api/decide', body, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await post('/api/decide', body, { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post('/api/decide', body, { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect(has('black/b1.png')).toBe(true);
    expect(store.version).toBe(0);
  });

  it('refuses other methods, unknown routes, huge and malformed bodies', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const r = await app.request(`http://${HOST}/api/decide`, { method, headers: { host: HOST, 'x-bears-token': TOKEN } });
      expect(r.status, method).toBe(405);
    }
    expect((await get('/api/nope')).status).toBe(404);
    expect((await post('/api/decide', '{"id":')).status).toBe(400);
    expect((await post('/api/decide', JSON.stringify({ id: 'x'.repeat(70_000) }), { 'content-length': '70012' })).status).toBe(413);
  });

  it('takes ids, never paths: traversal, absolute and encoded variants are refused', async () => {
    const attempts = [
      '/img/..%2F..%2F..%2Fetc%2Fpasswd', '/img/%2e%2e%2f%2e%2e%2fetc%2fpasswd', '/img/black%2Fb1.png', '/img/black/b1.png',
      '/thumb/..%252F..%252Fetc%252Fpasswd', '/img/%2Fetc%2Fpasswd', '/img/....//....//etc/passwd',
      `/img/${id('black/b1.png')}%00`, `/img/${id('black/b1.png').toUpperCase()}`, '/img/0000000000000000', '/assets/../journal.jsonl',
      '/assets/..%2F.bears-clean%2Fjournal.jsonl', '/.bears-clean/journal.jsonl', '/cleaned.csv',
    ];
    for (const p of attempts) {
      const r = await get(p);
      expect([400, 404], p).toContain(r.status);
      expect(r.headers.get('content-type') ?? '', p).not.toMatch(/image|csv/);
    }
    for (const bad of ['black/b1.png', '../black/b1.png', '/etc/passwd', '%2e%2e%2fb1.png', id('black/b1.png').slice(1), 42, null]) {
      const r = await post('/api/decide', { id: bad, decision: 'delete' });
      expect(r.status, String(bad)).toBe(400);
    }
    expect((await post('/api/decide', { id: '0123456789abcdef', decision: 'delete' })).status).toBe(404);
    expect((await post('/api/decide', { id: id('black/b1.png'), decision: 'relabel', label: '../../etc' })).status).toBe(400);
    expect((await post('/api/decide', { id: id('black/b1.png'), decision: 'relabel', label: '.bears-clean' })).status).toBe(400);
    expect((await post('/api/decide', { id: id('black/b1.png'), decision: 'shred' })).status).toBe(400);
    expect(readdirSync(path.join(dir, 'black')).sort()).toEqual(['b1.png', 'b2.png', 'b3.png', 'link.png']);
  });

  it('refuses to serve or move a symlink that leads out of the dataset', async () => {
    const linkId = id('black/link.png');
    expect((await get(`/img/${linkId}`)).status).toBe(403);
    expect((await get(`/thumb/${linkId}`)).status).toBe(403);
    expect((await post('/api/decide', { id: linkId, decision: 'delete' })).status).toBe(403);
    const items = (await (await get('/api/items?limit=200')).json()).items;
    expect(items.find((i: { id: string }) => i.id === linkId).blocked).toMatch(/outside/);
    expect(existsSync(outside)).toBe(true);
    // A link swapped in after start is refused at request time too.
    await fs.rm(path.join(dir, 'teddy/t3.png'));
    await fs.symlink(outside, path.join(dir, 'teddy/t3.png'));
    expect((await get(`/img/${id('teddy/t3.png')}`)).status).toBe(403);
    expect((await post('/api/decide', { id: id('teddy/t3.png'), decision: 'delete' })).status).toBe(403);
  });
});

describe('cleaner app: routes', () => {
  it('serves the script and stylesheet', async () => {
    const js = await get('/assets/app.js', { cookie: '' });
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/text\/javascript/);
    const src = await js.text();
    expect(src).toMatch(/^\(function cleanerClient\(\)/);
    expect(() => new Function(src)).not.toThrow(); // parses as a classic script
    const css = await get('/assets/app.css');
    expect(css.headers.get('content-type')).toMatch(/text\/css/);
  });

  it('/api/state: counts, facets, duplicates and version', async () => {
    const s = await (await get('/api/state')).json();
    expect(s.classes).toEqual(['black', 'grizzly', 'teddy']);
    expect(s.counts).toEqual({ total: 10, reviewed: 0, changed: 0, deleted: 0, relabeled: 0 });
    expect(Object.fromEntries(s.facets.labels)).toEqual({ black: 4, grizzly: 3, teddy: 3 });
    expect(Object.fromEntries(s.facets.reasons)).toMatchObject({ 'label issue': 2, 'near duplicate': 2, dark: 1 });
    expect(s.duplicates).toEqual({ groups: 1, open: 1 });
    expect(s.canUndo).toBe(false);
    expect(s.version).toBe(0);
    expect((await (await get('/api/version')).json()).version).toBe(0);
  });

  it('/api/items: ranked order, paging and every filter', async () => {
    const all = await (await get('/api/items')).json();
    expect(all.total).toBe(10);
    expect(all.items[0]).toMatchObject({ id: id('grizzly/g1.png'), name: 'grizzly/g1.png', label: 'grizzly', suggested: 'black', decision: null, undo: null });
    expect(JSON.stringify(all.items[0])).not.toContain(dir); // no absolute paths on the wire
    const page2 = await (await get('/api/items?offset=4&limit=4')).json();
    expect(page2.items.map((i: { name: string }) => i.name)).toEqual(['black/b2.png', 'grizzly/g2.png', 'teddy/t2.png', 'black/b3.png']);
    const names = async (q: string) => (await (await get(`/api/items?${q}`)).json()).items.map((i: { name: string }) => i.name);
    expect(await names('label=teddy')).toEqual(['teddy/t1.png', 'teddy/t2.png', 'teddy/t3.png']);
    expect(await names('split=valid')).toEqual(['grizzly/dup_t1.png', 'black/b3.png']);
    expect(await names('reason=label%20issue')).toEqual(['grizzly/g1.png', 'black/b1.png']);
    expect(await names('reason=dark')).toEqual(['black/b2.png']);
    await post('/api/decide', { id: id('black/b1.png'), decision: 'delete' });
    await post('/api/decide', { id: id('teddy/t2.png'), decision: 'keep' });
    expect(await names('status=changed')).toEqual(['black/b1.png']);
    expect(await names('status=reviewed')).toHaveLength(2);
    expect(await names('status=todo')).toHaveLength(8);
    expect(await names('label=black&status=todo')).toEqual(['black/b2.png', 'black/b3.png', 'black/link.png']);
  });

  it('every action kind, then undo of each, from the HTTP side', async () => {
    const d = await (await post('/api/decide', { id: id('black/b1.png'), decision: 'delete' })).json();
    expect(d.item).toMatchObject({ decision: 'delete', undo: d.seq });
    expect(has('.bears-clean/trash/black/b1.png')).toBe(true);
    const r = await (await post('/api/decide', { id: id('grizzly/g1.png'), decision: 'relabel', label: 'black' })).json();
    expect(r.item).toMatchObject({ name: 'black/g1.png', label: 'black', decision: 'relabel' });
    const k = await (await post('/api/decide', { id: id('teddy/t2.png'), decision: 'keep' })).json();
    expect(k.counts).toMatchObject({ reviewed: 3, changed: 2 });
    const groups = (await (await get('/api/duplicates')).json()).groups;
    expect(groups[0].items.map((i: { name: string }) => i.name)).toEqual(['teddy/t1.png', 'grizzly/dup_t1.png']);
    expect(groups[0].items[0]).toMatchObject({ width: 64, height: 48 });
    const dup = await (await post('/api/duplicates/resolve', { group: 0, keep: [id('teddy/t1.png')] })).json();
    expect(has('.bears-clean/trash/grizzly/dup_t1.png')).toBe(true);
    expect((await (await get('/api/duplicates')).json()).groups[0].resolved).toBe(true);

    // Undo in a different order than done: each is the latest change of its own files.
    expect((await (await post('/api/undo', { seq: r.seq })).json()).undid).toBe(r.seq);
    expect(has('grizzly/g1.png')).toBe(true);
    expect((await post('/api/undo', { seq: dup.seq })).status).toBe(200);
    expect(has('grizzly/dup_t1.png')).toBe(true);
    expect((await post('/api/undo', { seq: k.seq })).status).toBe(200);
    expect((await post('/api/undo', { seq: d.seq })).status).toBe(200);
    expect(has('black/b1.png')).toBe(true);
    expect((await post('/api/undo', { seq: d.seq })).status).toBe(409); // already undone
    expect((await post('/api/undo', {})).status).toBe(409); // nothing left
    expect((await post('/api/undo', { seq: 999 })).status).toBe(404);
    expect((await post('/api/undo', { seq: 'x' })).status).toBe(400);
    const s = await (await get('/api/state')).json();
    expect(s.counts.reviewed).toBe(0);
    expect(s.history.filter((h: { kind: string }) => h.kind === 'undo')).toHaveLength(4);
  });

  it('duplicate resolution refuses unknown groups and ids from other groups', async () => {
    expect((await post('/api/duplicates/resolve', { group: 7, keep: [id('teddy/t1.png')] })).status).toBe(404);
    expect((await post('/api/duplicates/resolve', { group: 0, keep: [id('black/b1.png')] })).status).toBe(400);
    expect((await post('/api/duplicates/resolve', { group: 0, keep: [] })).status).toBe(400);
    const both = await (await post('/api/duplicates/resolve', { group: 0, keep: [id('teddy/t1.png'), id('grizzly/dup_t1.png')] })).json();
    expect(both.counts).toMatchObject({ reviewed: 2, changed: 0 });
  });

  it('images: full file with its type, and a cached WebP thumbnail for large ones', async () => {
    await sharp({ create: { width: 2000, height: 1500, channels: 3, background: '#336699' } }).jpeg().toFile(path.join(dir, 'teddy/t3.png'));
    const img = await get(`/img/${id('black/b1.png')}`);
    expect(img.headers.get('content-type')).toBe('image/png');
    const th = await get(`/thumb/${id('teddy/t3.png')}`);
    expect(th.status).toBe(200);
    expect(th.headers.get('content-type')).toBe('image/webp');
    const meta = await sharp(Buffer.from(await th.arrayBuffer())).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBe(320);
    expect(readdirSync(path.join(dir, '.bears-clean/thumbs')).some((f) => f.startsWith(id('teddy/t3.png')))).toBe(true);
    // A deleted image is still shown (from the trash), so it can be undone from the page.
    await post('/api/decide', { id: id('black/b1.png'), decision: 'delete' });
    expect((await get(`/img/${id('black/b1.png')}`)).status).toBe(200);
    await fs.writeFile(path.join(dir, 'black/b2.png'), 'not an image');
    const broken = await get(`/thumb/${id('black/b2.png')}`);
    expect(broken.headers.get('content-type')).toBe('image/svg+xml');
    expect((await get(`/img/${id('black/b2.png')}`)).status).toBe(415);
  });

  it('two tabs see the same state: the version moves with every change', async () => {
    const before = (await (await get('/api/version')).json()).version;
    await post('/api/decide', { id: id('black/b1.png'), decision: 'delete' });
    const tab2 = await (await get('/api/items?status=changed')).json();
    expect(tab2.version).toBeGreaterThan(before);
    expect(tab2.items.map((i: { id: string }) => i.id)).toEqual([id('black/b1.png')]);
  });
});
