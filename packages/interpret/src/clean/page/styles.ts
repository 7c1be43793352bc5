/** The page's one stylesheet: a responsive grid that becomes one column at phone width. */
export const STYLES = `
:root { color-scheme: light dark; --bg: #fafafa; --fg: #1b1b1b; --muted: #5d5d5d; --card: #fff; --line: #d0d0d0;
  --accent: #0b5cad; --del: #a4161a; --keep: #1b6e2d; --move: #8a4b00; --focus: #ffb000; }
@media (prefers-color-scheme: dark) { :root { --bg: #161616; --fg: #eee; --muted: #b0b0b0; --card: #232323; --line: #444;
  --accent: #6fb0ff; --del: #ff7b7f; --keep: #7bd88f; --move: #f0b35e; } }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 15px/1.4 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
header { position: sticky; top: 0; z-index: 2; display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center;
  padding: .5rem 1rem; background: var(--card); border-bottom: 1px solid var(--line); }
h1 { font-size: 1.1rem; margin: 0; }
h1 .dataset { font-weight: normal; color: var(--muted); font-size: .9rem; word-break: break-all; }
h2 { font-size: 1rem; }
#counts { margin: 0; font-variant-numeric: tabular-nums; }
.views, .filters, .tools { display: flex; flex-wrap: wrap; gap: .4rem; align-items: center; }
.filters label { display: flex; gap: .25rem; align-items: center; color: var(--muted); }
button, select { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line); border-radius: 6px;
  padding: .3rem .55rem; min-height: 2.1rem; cursor: pointer; }
button[aria-pressed="true"] { background: var(--accent); color: #fff; border-color: var(--accent); }
button:disabled { opacity: .45; cursor: default; }
.actions button[data-act="keep"][aria-pressed="true"] { background: var(--keep); border-color: var(--keep); }
.actions button[data-act="delete"][aria-pressed="true"] { background: var(--del); border-color: var(--del); }
kbd { font: .75rem ui-monospace, monospace; border: 1px solid var(--line); border-radius: 3px; padding: 0 .25rem; color: var(--muted); }
button[aria-pressed="true"] kbd { color: #fff; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: .5rem; z-index: 3; background: var(--card); padding: .5rem; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
#help { margin: .5rem 1rem; padding: .5rem 1rem; background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
#help dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
#help dd { margin: 0; }
main { padding: 1rem; }
.grid { list-style: none; margin: 0; padding: 0; display: grid; gap: .8rem; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; overflow: hidden; display: flex; flex-direction: column; }
.card.current { outline: 3px solid var(--focus); }
.card[data-decision="delete"] { border-color: var(--del); }
.card[data-decision="delete"] img { opacity: .35; }
.card[data-decision="relabel"] { border-color: var(--move); }
.card[data-decision="keep"] { border-color: var(--keep); }
.thumb { aspect-ratio: 4 / 3; background: #0002; overflow: hidden; }
.thumb img { width: 100%; height: 100%; object-fit: contain; display: block; }
.meta { padding: .4rem .6rem; display: flex; flex-direction: column; gap: .2rem; flex: 1; }
.name { font-weight: 600; word-break: break-all; margin: 0; font-size: .85rem; }
.labels { margin: 0; font-size: .85rem; color: var(--muted); }
.labels b { color: var(--fg); }
.reasons { margin: 0; padding-left: 1.1rem; font-size: .8rem; color: var(--muted); }
.status { margin: 0; font-weight: 600; min-height: 1.2em; }
.status.delete { color: var(--del); } .status.relabel { color: var(--move); } .status.keep { color: var(--keep); }
.actions { display: flex; flex-wrap: wrap; gap: .3rem; padding: .4rem .6rem .6rem; }
.dup { grid-column: 1 / -1; }
.pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 440px)); gap: .5rem; padding: .5rem; }
.notice { margin: .5rem 1rem; padding: .5rem 1rem; border: 1px solid var(--move); border-radius: 8px; }
.history button { min-height: 0; padding: 0 .4rem; font-size: .8rem; }
.pair figure { margin: 0; border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
.pair figure[data-decision="delete"] img { opacity: .35; }
.pair figcaption { padding: .3rem .5rem; font-size: .85rem; word-break: break-all; }
.pager { display: flex; gap: .8rem; align-items: center; justify-content: center; margin: 1rem 0; }
.history { padding: 0 1rem 2rem; color: var(--muted); font-size: .85rem; }
.history ol { padding-left: 1.2rem; }
.empty { padding: 2rem; text-align: center; color: var(--muted); grid-column: 1 / -1; }
@media (max-width: 600px) {
  header { position: static; padding: .5rem; }
  main { padding: .5rem; }
  .grid { grid-template-columns: 1fr; }
  .filters label { flex: 1 1 45%; }
  .filters select { flex: 1; min-width: 0; }
  kbd { display: none; }
}
`;
