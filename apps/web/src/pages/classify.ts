export function start(root: HTMLElement): void { root.dataset.ready = "todo"; }
