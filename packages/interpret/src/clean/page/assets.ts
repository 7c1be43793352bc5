import { cleanerClient } from './client.js';
import { STYLES } from './styles.js';

/*
 * The page is plain HTML, one stylesheet and one script, all held in memory and served by the app:
 * no file path from a request ever reaches the filesystem. The script is written in TypeScript
 * (./client.ts, type-checked against the DOM) and served as its compiled source.
 */

export interface Asset {
  body: string;
  type: string;
}

let assets: Record<string, Asset> | undefined;

export function pageAssets(): Record<string, Asset> {
  assets ??= {
    'app.js': { body: `(${cleanerClient.toString()})();\n`, type: 'text/javascript; charset=utf-8' },
    'app.css': { body: STYLES, type: 'text/css; charset=utf-8' },
  };
  return assets;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

export function renderPage(opts: { token: string; dataset: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="bears-token" content="${escapeHtml(opts.token)}">
<title>bears clean: ${escapeHtml(opts.dataset)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/app.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to the images</a>
<header>
  <h1>bears clean <span class="dataset">${escapeHtml(opts.dataset)}</span></h1>
  <p id="counts" role="status" aria-live="polite">Loading…</p>
  <nav class="views" aria-label="Views">
    <button type="button" id="view-grid" aria-pressed="true">Ranked images <kbd>g</kbd></button>
    <button type="button" id="view-dups" aria-pressed="false">Duplicates <span id="dup-count"></span> <kbd>g</kbd></button>
  </nav>
  <form id="filters" class="filters" aria-label="Filters">
    <label>Class <select id="f-label" name="label"><option value="">all</option></select></label>
    <label>Split <select id="f-split" name="split"><option value="">all</option></select></label>
    <label>Reason <select id="f-reason" name="reason"><option value="">all</option></select></label>
    <label>Status <select id="f-status" name="status">
      <option value="">all</option><option value="todo">to review</option><option value="reviewed">reviewed</option><option value="changed">changed</option>
    </select></label>
  </form>
  <div class="tools">
    <button type="button" id="undo-last">Undo last <kbd>z</kbd></button>
    <button type="button" id="help-toggle" aria-expanded="false" aria-controls="help">Keys <kbd>?</kbd></button>
  </div>
</header>
<section id="help" hidden aria-label="Keyboard shortcuts">
  <h2>Keyboard shortcuts</h2>
  <dl>
    <dt><kbd>←</kbd> <kbd>→</kbd> <kbd>↑</kbd> <kbd>↓</kbd></dt><dd>move between images (or duplicate groups)</dd>
    <dt><kbd>k</kbd></dt><dd>keep the image</dd>
    <dt><kbd>d</kbd> / <kbd>Delete</kbd></dt><dd>delete (moves it to the trash inside the dataset)</dd>
    <dt><kbd>1</kbd>…<kbd>9</kbd></dt><dd>move to class 1…9 (in the order of the Class filter); in Duplicates: keep only image 1…9</dd>
    <dt><kbd>s</kbd></dt><dd>move to the suggested class</dd>
    <dt><kbd>l</kbd> / <kbd>r</kbd> / <kbd>b</kbd></dt><dd>duplicates: keep left / keep right / keep both</dd>
    <dt><kbd>u</kbd></dt><dd>undo the last change to this image or group</dd>
    <dt><kbd>z</kbd></dt><dd>undo the last change of the session</dd>
    <dt><kbd>n</kbd> / <kbd>p</kbd></dt><dd>next / previous page</dd>
    <dt><kbd>g</kbd></dt><dd>switch between ranked images and duplicates</dd>
    <dt><kbd>f</kbd></dt><dd>go to the filters</dd>
    <dt><kbd>?</kbd></dt><dd>show or hide this help</dd>
  </dl>
</section>
<p id="recovered" class="notice" role="status" hidden></p>
<main id="main" tabindex="-1">
  <h2 id="view-title" class="sr-only">Ranked images</h2>
  <ul id="grid" class="grid" aria-labelledby="view-title"></ul>
  <nav class="pager" aria-label="Pages">
    <button type="button" id="prev">Previous <kbd>p</kbd></button>
    <span id="page-info" aria-live="polite"></span>
    <button type="button" id="next">Next <kbd>n</kbd></button>
  </nav>
</main>
<section class="history" aria-labelledby="history-title">
  <h2 id="history-title">Recent changes</h2>
  <ol id="history"></ol>
</section>
<div id="announce" class="sr-only" aria-live="assertive"></div>
</body>
</html>
`;
}

export function renderRefusal(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bears clean: token needed</title></head><body>
<h1>This cleaner needs its session token</h1>
<p>Open the exact URL that <code>bears clean</code> printed (it ends with <code>?token=…</code>).</p>
</body></html>`;
}
