// The site's shell: a hash router over three pages, each started the first time it is shown.
import './styles.css';

type PageName = 'classify' | 'train' | 'sgd';
const starters: Record<PageName, () => Promise<{ start(root: HTMLElement): void | Promise<void> }>> = {
  classify: () => import('./pages/classify.js'),
  train: () => import('./pages/train.js'),
  sgd: () => import('./pages/sgd.js'),
};
const started = new Set<PageName>();

function pageFromHash(): PageName {
  const name = location.hash.replace(/^#/, '');
  return name in starters ? (name as PageName) : 'classify';
}

async function show(name: PageName, focus: boolean): Promise<void> {
  for (const section of document.querySelectorAll<HTMLElement>('main > section[data-page]')) section.hidden = section.dataset.page !== name;
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a[data-page]')) {
    if (link.dataset.page === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const section = document.getElementById(`page-${name}`)!;
  document.title = `${section.querySelector('h2')?.textContent ?? name} · Bears`;
  // Moving focus to the new page's heading tells screen readers that the page changed.
  if (focus) {
    const h2 = section.querySelector('h2')!;
    h2.tabIndex = -1;
    h2.focus();
  }
  if (!started.has(name)) {
    started.add(name);
    try {
      await (await starters[name]()).start(section);
    } catch (err) {
      const p = document.createElement('p');
      p.className = 'error';
      p.setAttribute('role', 'alert');
      p.textContent = `This page could not start: ${(err as Error).message ?? String(err)}`;
      section.append(p);
    }
  }
}

const isolation = document.getElementById('isolation');
if (isolation) {
  isolation.textContent = crossOriginIsolated
    ? 'this page is cross-origin isolated, so the wasm backend may use threads.'
    : 'this page is not cross-origin isolated (no COOP/COEP headers), so the wasm backend runs on one thread.';
}
addEventListener('hashchange', () => void show(pageFromHash(), true));
void show(pageFromHash(), false);
