/*
 * The page's script. It runs in the browser as `(cleanerClient)()`, so it must not use anything
 * from outside its own body (no imports, no module-level names). The server holds all state; the
 * page shows one page of items, sends actions by item id, and refreshes when the journal moves
 * (another tab, or the terminal).
 */

export function cleanerClient(): void {
  interface ItemView {
    id: string; name: string; original: string; label: string; originalLabel: string; suggested: string;
    split: string; score: number; reasons: string[]; decision: string | null; undo: number | null; blocked: string | null;
    width?: number; height?: number; bytes?: number;
  }
  interface Group { index: number; kind: string; similarity: number; crossClass: boolean; crossSplit: boolean; resolved: boolean; items: ItemView[] }
  interface State {
    version: number; classes: string[];
    counts: { total: number; reviewed: number; changed: number; deleted: number; relabeled: number };
    facets: { labels: [string, number][]; splits: [string, number][]; reasons: [string, number][] };
    duplicates: { groups: number; open: number };
    history: { seq: number; kind: string; undoes: number | null; undone: boolean; undoable: boolean; files: string[] }[];
    recovered: { seq: number; outcome: string; note?: string }[];
    canUndo: boolean;
  }

  const GRID_PAGE = 48;
  const DUP_PAGE = 12;
  const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
  const token = (document.querySelector('meta[name="bears-token"]') as HTMLMetaElement).content;
  const grid = $<HTMLUListElement>('grid');
  const announce = $('announce');
  const filters = { label: $<HTMLSelectElement>('f-label'), split: $<HTMLSelectElement>('f-split'), reason: $<HTMLSelectElement>('f-reason'), status: $<HTMLSelectElement>('f-status') };
  let state: State | undefined;
  let view: 'grid' | 'dups' = 'grid';
  let page = 0;
  let total = 0;
  let current = 0;
  let shownVersion = -1;
  let busy = false;

  // View, filters and page live in the location hash, so a reload comes back to the same place.
  function readHash(): void {
    const h = new URLSearchParams(location.hash.slice(1));
    view = h.get('view') === 'dups' ? 'dups' : 'grid';
    page = Math.max(0, Number(h.get('page')) || 0);
    for (const [k, sel] of Object.entries(filters)) sel.dataset.want = h.get(k) ?? '';
  }
  function writeHash(): void {
    const h = new URLSearchParams({ view, page: String(page) });
    for (const [k, sel] of Object.entries(filters)) if (sel.value) h.set(k, sel.value);
    history.replaceState(null, '', `${location.pathname}${location.search}#${h}`);
  }

  async function api<T>(path: string, body?: unknown): Promise<T> {
    const res = await fetch(path, body === undefined
      ? { headers: { 'x-bears-token': token } }
      : { method: 'POST', headers: { 'x-bears-token': token, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const data = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
    if (!res.ok) throw new Error((data as { error?: string }).error ?? `HTTP ${res.status}`);
    return data as T;
  }

  function say(message: string): void {
    announce.textContent = '';
    // A fresh text node each time so screen readers announce repeats too.
    setTimeout(() => { announce.textContent = message; }, 30);
  }

  function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v);
    }
    e.append(...children);
    return e;
  }
  function button(label: string, key: string, act: string, aria: string, disabled = false): HTMLButtonElement {
    const b = el('button', { type: 'button', 'data-act': act, 'aria-label': aria, ...(key ? { 'aria-keyshortcuts': key } : {}) }, label, ...(key ? [' ', el('kbd', { text: key, 'aria-hidden': 'true' })] : []));
    b.disabled = disabled;
    return b;
  }

  /** Marks the button of the decision in force, for screen readers and the eye. */
  function pressed(b: HTMLButtonElement, on: boolean): HTMLButtonElement {
    b.setAttribute('aria-pressed', String(on));
    return b;
  }

  function statusText(it: ItemView): string {
    if (it.blocked) return `Not available: ${it.blocked}`;
    if (it.decision === 'delete') return 'Deleted (in the trash)';
    if (it.decision === 'relabel') return `Moved to ${it.label}`;
    if (it.decision === 'keep') return 'Kept';
    return '';
  }

  /** Fills a filter menu (when given its values) and selects the value asked for in the hash. */
  function fillSelect(sel: HTMLSelectElement, entries?: [string, number][]): void {
    const want = sel.dataset.want ?? sel.value;
    if (entries) sel.replaceChildren(el('option', { value: '', text: 'all' }), ...entries.map(([v, n]) => el('option', { value: v, text: `${v} (${n})` })));
    sel.value = [...sel.options].some((o) => o.value === want) ? want : '';
    delete sel.dataset.want;
  }

  function fillFilters(s: State): void {
    if (filters.label.options.length > 1 && filters.label.dataset.want === undefined) return;
    fillSelect(filters.label, s.facets.labels);
    fillSelect(filters.split, s.facets.splits);
    fillSelect(filters.reason, s.facets.reasons);
    fillSelect(filters.status);
  }

  function renderState(s: State): void {
    const c = s.counts;
    $('counts').textContent = `${c.reviewed} of ${c.total} reviewed · ${c.changed} changed (${c.deleted} deleted, ${c.relabeled} relabeled)`;
    $('dup-count').textContent = s.duplicates.groups ? `(${s.duplicates.open} open of ${s.duplicates.groups})` : '(none)';
    $<HTMLButtonElement>('undo-last').disabled = !s.canUndo;
    const hist = $('history');
    hist.replaceChildren(...s.history.slice(0, 10).map((h) => {
      const li = el('li', { text: h.kind === 'undo' ? `#${h.seq} undo of #${h.undoes}` : `#${h.seq} ${h.kind}: ${h.files.join(', ')}${h.undone ? ' (undone)' : ''} ` });
      if (h.undoable) {
        const b = el('button', { type: 'button', 'data-seq': String(h.seq), 'aria-label': `Undo change ${h.seq} (${h.kind} of ${h.files.join(', ')})`, text: 'Undo' });
        li.append(b);
      }
      return li;
    }));
    if (!s.history.length) hist.replaceChildren(el('li', { text: 'nothing changed yet' }));
    const note = $('recovered');
    note.hidden = !s.recovered.length;
    note.textContent = s.recovered.map((r) => `An action interrupted in an earlier session (#${r.seq}) was ${r.outcome}${r.note ? `: ${r.note}` : ''}.`).join(' ');
  }

  function itemCard(it: ItemView, index: number): HTMLLIElement {
    const nameId = `name-${it.id}`;
    const li = el('li', { class: 'card', tabindex: '-1', 'data-id': it.id, 'data-index': String(index), 'aria-labelledby': nameId, 'aria-describedby': `desc-${it.id}` });
    if (it.decision) li.dataset.decision = it.decision;
    li.dataset.undo = it.undo === null ? '' : String(it.undo);
    li.dataset.suggested = it.suggested;
    const reasons = el('ul', { class: 'reasons', 'aria-label': 'Why it was flagged' }, ...it.reasons.map((r) => el('li', { text: r })));
    const relabel = el('select', { 'data-act': 'relabel', 'aria-label': `Move ${it.name} to another class` },
      el('option', { value: '', text: 'Move to…' }),
      ...(state?.classes ?? []).map((cls, i) => el('option', { value: cls, text: `${i + 1}. ${cls}${cls === it.label ? ' (now)' : ''}` })));
    relabel.disabled = Boolean(it.blocked);
    li.append(
      el('div', { class: 'thumb' }, el('img', { src: `/thumb/${it.id}`, alt: `${it.name}, labelled ${it.label}`, loading: 'lazy', decoding: 'async' })),
      el('div', { class: 'meta' },
        el('p', { class: 'name', id: nameId, text: it.name }),
        el('p', { class: 'labels', id: `desc-${it.id}` },
          'label ', el('b', { text: it.label }), it.label !== it.originalLabel ? ` (was ${it.originalLabel})` : '', ' · suggested ', el('b', { text: it.suggested }), ` · ${it.split} · score ${it.score.toFixed(2)}`),
        reasons,
        el('p', { class: `status ${it.decision ?? ''}`, text: statusText(it) })),
      el('div', { class: 'actions', role: 'group', 'aria-label': `Actions for ${it.name}` },
        pressed(button('Keep', 'k', 'keep', `Keep ${it.name}`, Boolean(it.blocked)), it.decision === 'keep'),
        pressed(button('Delete', 'd', 'delete', `Delete ${it.name} (to the trash)`, Boolean(it.blocked)), it.decision === 'delete'),
        relabel,
        button(`Use ${it.suggested}`, 's', 'suggested', `Move ${it.name} to the suggested class ${it.suggested}`, Boolean(it.blocked) || it.suggested === it.label),
        button('Undo', 'u', 'undo', `Undo the last change to ${it.name}`, it.undo === null)),
    );
    return li;
  }

  function groupCard(g: Group, index: number): HTMLLIElement {
    const title = `Duplicate group ${g.index + 1}: ${g.kind}, similarity ${g.similarity.toFixed(3)}${g.crossClass ? ', different classes' : ''}${g.crossSplit ? ', train and valid' : ''}`;
    const li = el('li', { class: 'card dup', tabindex: '-1', 'data-group': String(g.index), 'data-index': String(index), 'aria-label': title });
    const pair = g.items.length === 2;
    const side = (i: number) => (pair ? (i === 0 ? 'left' : 'right') : `image ${i + 1}`);
    const figs = g.items.map((it, i) => {
      const fig = el('figure', { 'data-id': it.id },
        el('div', { class: 'thumb' }, el('img', { src: `/thumb/${it.id}`, alt: `${side(i)}: ${it.name}`, loading: 'lazy' })),
        el('figcaption', {}, el('b', { text: `${side(i)}: ` }), `${it.name} · ${it.label} · ${it.split}`,
          ...(it.width ? [el('br'), `${it.width}×${it.height} px · ${Math.round((it.bytes ?? 0) / 1024)} KB`] : []), el('br'), el('span', { class: `status ${it.decision ?? ''}`, text: statusText(it) })));
      if (it.decision) fig.dataset.decision = it.decision;
      return fig;
    });
    const undoSeq = g.items.map((it) => it.undo).find((s) => s !== null) ?? null;
    const buttons = pair
      ? [button('Keep left', 'l', 'keep-0', `Keep left (${g.items[0]!.name}), delete right`), button('Keep right', 'r', 'keep-1', `Keep right (${g.items[1]!.name}), delete left`)]
      : g.items.map((it, i) => button(`Keep only ${i + 1}`, String(i + 1), `keep-${i}`, `Keep only ${it.name}, delete the others`));
    li.append(
      el('h3', { class: 'name', text: title }),
      el('div', { class: 'pair' }, ...figs),
      el('div', { class: 'actions', role: 'group', 'aria-label': `Actions for duplicate group ${g.index + 1}` },
        ...buttons, button(pair ? 'Keep both' : 'Keep all', 'b', 'keep-all', pair ? 'Keep both images' : 'Keep all images'),
        button('Undo', 'u', 'undo', `Undo the last change to group ${g.index + 1}`, undoSeq === null)),
    );
    li.dataset.undo = undoSeq === null ? '' : String(undoSeq);
    return li;
  }

  async function load(keepFocus = true): Promise<void> {
    const s = await api<State>('/api/state');
    state = s;
    fillFilters(s);
    const hadFocus = keepFocus && grid.contains(document.activeElement);
    // Counts and cards are drawn together, once both answers are in, so they never disagree.
    if (view === 'grid') {
      const q = new URLSearchParams({ offset: String(page * GRID_PAGE), limit: String(GRID_PAGE) });
      for (const [k, sel] of Object.entries(filters)) if (sel.value) q.set(k, sel.value);
      const res = await api<{ total: number; items: ItemView[] }>(`/api/items?${q}`);
      total = res.total;
      if (page > 0 && page * GRID_PAGE >= total) { page = Math.max(0, Math.ceil(total / GRID_PAGE) - 1); return load(keepFocus); }
      renderState(s);
      grid.replaceChildren(...res.items.map(itemCard));
      if (!res.items.length) grid.append(el('li', { class: 'empty', text: 'No images match these filters.' }));
    } else {
      const res = await api<{ total: number; groups: Group[] }>(`/api/duplicates?offset=${page * DUP_PAGE}&limit=${DUP_PAGE}`);
      total = res.total;
      renderState(s);
      grid.replaceChildren(...res.groups.map(groupCard));
      if (!res.groups.length) grid.append(el('li', { class: 'empty', text: 'No duplicate groups in the ranking.' }));
    }
    const per = view === 'grid' ? GRID_PAGE : DUP_PAGE;
    const pages = Math.max(1, Math.ceil(total / per));
    $('page-info').textContent = `page ${page + 1} of ${pages} · ${total} ${view === 'grid' ? 'images' : 'groups'}`;
    $<HTMLButtonElement>('prev').disabled = page === 0;
    $<HTMLButtonElement>('next').disabled = page + 1 >= pages;
    $('view-grid').setAttribute('aria-pressed', String(view === 'grid'));
    $('view-dups').setAttribute('aria-pressed', String(view === 'dups'));
    $('view-title').textContent = view === 'grid' ? 'Ranked images' : 'Duplicate groups';
    $('filters').hidden = view !== 'grid';
    shownVersion = state.version;
    setCurrent(current, hadFocus);
    writeHash();
  }

  function cards(): HTMLElement[] {
    return [...grid.querySelectorAll<HTMLElement>(':scope > li.card')];
  }
  function setCurrent(i: number, focus = true): void {
    const all = cards();
    if (!all.length) return;
    current = Math.max(0, Math.min(all.length - 1, i));
    all.forEach((c, j) => c.classList.toggle('current', j === current));
    if (focus) all[current]!.focus();
  }
  function columns(): number {
    const all = cards();
    if (all.length < 2) return 1;
    const top = all[0]!.offsetTop;
    const n = all.findIndex((c) => c.offsetTop !== top);
    return n < 0 ? all.length : n;
  }

  /** Runs one action, then shows the new state; errors are shown and announced, never swallowed. */
  async function act(run: () => Promise<string>): Promise<void> {
    if (busy) return;
    busy = true;
    try {
      say(await run());
      await load();
    } catch (err) {
      say(`Not done: ${(err as Error).message}`);
      alertBox((err as Error).message);
    } finally {
      busy = false;
    }
  }
  function alertBox(message: string): void {
    const box = el('p', { role: 'alert', class: 'status delete', text: `Not done: ${message}` });
    $('main').prepend(box);
    setTimeout(() => box.remove(), 6000);
  }

  async function itemAction(card: HTMLElement, what: string, label?: string): Promise<void> {
    const id = card.dataset.id!;
    const name = card.querySelector('.name')?.textContent ?? 'image';
    await act(async () => {
      if (what === 'undo') {
        const seq = Number(card.dataset.undo);
        const r = await api<{ undid: number }>('/api/undo', { seq });
        return `Undid change ${r.undid} to ${name}`;
      }
      if (what === 'relabel') {
        await api('/api/decide', { id, decision: 'relabel', label });
        return `Moved ${name} to ${label}. Press z to undo.`;
      }
      await api('/api/decide', { id, decision: what });
      return what === 'delete' ? `Deleted ${name} (in the trash). Press z to undo.` : `Kept ${name}`;
    });
  }

  async function groupAction(card: HTMLElement, what: string): Promise<void> {
    const ids = [...card.querySelectorAll<HTMLElement>('figure')].map((f) => f.dataset.id!);
    const group = Number(card.dataset.group);
    await act(async () => {
      if (what === 'undo') {
        const r = await api<{ undid: number }>('/api/undo', { seq: Number(card.dataset.undo) });
        return `Undid change ${r.undid}`;
      }
      const keep = what === 'keep-all' ? ids : [ids[Number(what.slice(5))]!];
      await api('/api/duplicates/resolve', { group, keep });
      return what === 'keep-all' ? 'Kept all' : `Kept ${ids.length === 2 ? (what === 'keep-0' ? 'left' : 'right') : `image ${Number(what.slice(5)) + 1}`}, deleted the other${ids.length > 2 ? 's' : ''}`;
    });
  }

  function undoLast(): Promise<void> {
    return act(async () => {
      const r = await api<{ undid: number; files: string[] }>('/api/undo', {});
      return `Undid change ${r.undid} (${r.files.join(', ')})`;
    });
  }

  grid.addEventListener('click', (e) => {
    const target = (e.target as HTMLElement).closest<HTMLElement>('[data-act]');
    const card = (e.target as HTMLElement).closest<HTMLElement>('li.card');
    if (!target || !card || target.tagName === 'SELECT') return;
    setCurrent(Number(card.dataset.index), false);
    const what = target.dataset.act!;
    if (card.dataset.group !== undefined) void groupAction(card, what);
    else if (what === 'suggested') void itemAction(card, 'relabel', suggestedOf(card));
    else void itemAction(card, what);
  });
  grid.addEventListener('change', (e) => {
    const sel = e.target as HTMLSelectElement;
    const card = sel.closest<HTMLElement>('li.card');
    if (sel.dataset.act === 'relabel' && card && sel.value) void itemAction(card, 'relabel', sel.value);
  });
  grid.addEventListener('focusin', (e) => {
    const card = (e.target as HTMLElement).closest<HTMLElement>('li.card');
    if (card) setCurrent(Number(card.dataset.index), false);
  });

  function suggestedOf(card: HTMLElement): string {
    return card.dataset.suggested ?? '';
  }

  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target as HTMLElement;
    if (t.tagName === 'SELECT' || t.tagName === 'INPUT' || t.tagName === 'TEXTAREA') {
      if (e.key === 'Escape') setCurrent(current);
      return;
    }
    const card = cards()[current];
    const key = e.key;
    const handled = () => e.preventDefault();
    if (key === '?') { handled(); toggleHelp(); return; }
    if (key === 'z') { handled(); void undoLast(); return; }
    if (key === 'g') { handled(); switchView(view === 'grid' ? 'dups' : 'grid'); return; }
    if (key === 'f') { handled(); filters.label.focus(); return; }
    if (key === 'n') { handled(); if (!$<HTMLButtonElement>('next').disabled) { page++; current = 0; void load(); } return; }
    if (key === 'p') { handled(); if (page > 0) { page--; current = 0; void load(); } return; }
    if (key === 'ArrowRight') { handled(); setCurrent(current + 1); return; }
    if (key === 'ArrowLeft') { handled(); setCurrent(current - 1); return; }
    if (key === 'ArrowDown') { handled(); setCurrent(current + columns()); return; }
    if (key === 'ArrowUp') { handled(); setCurrent(current - columns()); return; }
    if (!card) return;
    if (card.dataset.group !== undefined) {
      const n = card.querySelectorAll('figure').length;
      const map: Record<string, string> = { l: 'keep-0', r: 'keep-1', b: 'keep-all', u: 'undo' };
      let what = n !== 2 && (key === 'l' || key === 'r') ? undefined : map[key];
      if (/^[1-9]$/.test(key) && Number(key) <= n) what = `keep-${Number(key) - 1}`;
      if (!what) return;
      const btn = card.querySelector<HTMLButtonElement>(`[data-act="${what}"]`);
      if (btn?.disabled) return;
      handled();
      void groupAction(card, what);
      return;
    }
    const disabled = (act: string) => card.querySelector<HTMLButtonElement>(`[data-act="${act}"]`)?.disabled ?? true;
    if (key === 'k' && !disabled('keep')) { handled(); void itemAction(card, 'keep'); }
    else if ((key === 'd' || key === 'Delete') && !disabled('delete')) { handled(); void itemAction(card, 'delete'); }
    else if (key === 's' && !disabled('suggested')) { handled(); void itemAction(card, 'relabel', suggestedOf(card)); }
    else if (key === 'u' && !disabled('undo')) { handled(); void itemAction(card, 'undo'); }
    else if (/^[1-9]$/.test(key) && state && Number(key) <= state.classes.length && !disabled('keep')) {
      handled();
      void itemAction(card, 'relabel', state.classes[Number(key) - 1]);
    }
  });

  function toggleHelp(): void {
    const help = $('help');
    help.hidden = !help.hidden;
    $('help-toggle').setAttribute('aria-expanded', String(!help.hidden));
  }
  function switchView(v: 'grid' | 'dups'): void {
    view = v;
    page = 0;
    current = 0;
    void load(false).then(() => setCurrent(0));
  }

  $('history').addEventListener('click', (e) => {
    const seq = (e.target as HTMLElement).closest<HTMLElement>('[data-seq]')?.dataset.seq;
    if (seq) void act(async () => `Undid change ${(await api<{ undid: number }>('/api/undo', { seq: Number(seq) })).undid}`);
  });
  $('help-toggle').addEventListener('click', toggleHelp);
  $('undo-last').addEventListener('click', () => void undoLast());
  $('view-grid').addEventListener('click', () => switchView('grid'));
  $('view-dups').addEventListener('click', () => switchView('dups'));
  $('prev').addEventListener('click', () => { if (page > 0) { page--; current = 0; void load(); } });
  $('next').addEventListener('click', () => { page++; current = 0; void load(); });
  for (const sel of Object.values(filters)) sel.addEventListener('change', () => { page = 0; current = 0; void load(false); });

  // Another tab or `bears clean --undo` moved the journal on: show its state.
  async function poll(): Promise<void> {
    if (busy || document.hidden) return;
    try {
      const { version } = await api<{ version: number }>('/api/version');
      if (version !== shownVersion) await load();
    } catch {
      // The server stopped; the next poll tries again.
    }
  }
  setInterval(() => void poll(), 1500);
  document.addEventListener('visibilitychange', () => void poll());

  readHash();
  void load(false).then(() => {
    (window as unknown as { bearsReady: boolean }).bearsReady = true;
  }, (err: Error) => {
    $('counts').textContent = `Cannot load: ${err.message}`;
  });
}
