// Small DOM helpers shared by the pages.
import type { BackendChoice, BackendInfo, PredictResult } from './worker/protocol.js';

export function $<T extends HTMLElement = HTMLElement>(root: ParentNode, sel: string): T {
  const el = root.querySelector<T>(sel);
  if (!el) throw new Error(`the page lacks ${sel}`);
  return el;
}

const BACKEND_CHOICES: Array<[BackendChoice, string]> = [
  ['auto', 'auto (best available)'],
  ['webgpu', 'WebGPU'],
  ['webgl', 'WebGL'],
  ['wasm', 'wasm (CPU)'],
];

/** Fills a backend picker; `?backend=<name>` in the page URL preselects one. */
export function backendPicker(select: HTMLSelectElement): HTMLSelectElement {
  select.replaceChildren(...BACKEND_CHOICES.map(([value, text]) => new Option(text, value)));
  const wanted = new URLSearchParams(location.search).get('backend');
  if (BACKEND_CHOICES.some(([v]) => v === wanted)) select.value = wanted!;
  return select;
}

export function setStatus(el: HTMLElement, text: string, error = false): void {
  el.textContent = text;
  el.classList.toggle('error', error);
  if (error) el.setAttribute('role', 'alert');
  else el.setAttribute('role', 'status');
}

export function describeBackend(info: BackendInfo): string {
  const how = info.asked === 'auto' ? `chosen by auto${info.skipped.length ? ' after falling back' : ''}` : 'as asked';
  return `Using ${info.name} (${how})${info.details ? `: ${info.details}` : ''}${wasmText(info)}.`;
}

// tfjs sizes its thread pool to half the cores, at most 4: a 2-core machine gets one thread even
// with the threaded build.
function wasmText(info: BackendInfo): string {
  if (info.wasmThreads === undefined) return '';
  if (!info.wasmThreadedBuild) return `; single-threaded build${info.crossOriginIsolated ? '' : ' (the page is not cross-origin isolated)'}`;
  return `; threaded build, ${info.wasmThreads} thread${info.wasmThreads === 1 ? '' : 's'} (tfjs uses half the cores, at most 4)`;
}

export function renderSkipped(list: HTMLElement, info: BackendInfo): void {
  list.replaceChildren(
    ...info.skipped.map((s) => {
      const li = document.createElement('li');
      li.textContent = `${s.name} skipped: ${s.reason}`;
      return li;
    }),
  );
}

export function renderProbabilities(list: HTMLElement, r: Pick<PredictResult, 'classes' | 'probabilities' | 'index'>): void {
  list.replaceChildren(
    ...r.classes.map((c, i) => {
      const li = document.createElement('li');
      const pct = (r.probabilities[i]! * 100).toFixed(1);
      li.dataset.class = c;
      li.dataset.probability = String(r.probabilities[i]);
      const name = document.createElement('span');
      name.textContent = c;
      if (i === r.index) name.style.fontWeight = 'bold';
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.setAttribute('role', 'img');
      bar.setAttribute('aria-label', `${c}: ${pct} percent`);
      const fill = document.createElement('span');
      fill.style.width = `${pct}%`;
      bar.append(fill);
      const val = document.createElement('span');
      val.textContent = `${pct}%`;
      li.append(name, bar, val);
      return li;
    }),
  );
}

/** Reads a File/Blob to bytes, refusing what is clearly not an image before the decoder sees it. */
export async function imageBytes(file: Blob & { name?: string }): Promise<Uint8Array> {
  if (file.size === 0) throw new Error(`${file.name ?? 'the file'} is empty`);
  if (file.size > 50 * 1024 * 1024) throw new Error(`${file.name ?? 'the file'} is over 50 MB`);
  if (file.type && !file.type.startsWith('image/')) throw new Error(`${file.name ?? 'the file'} is not an image (${file.type})`);
  return new Uint8Array(await file.arrayBuffer());
}

/** A webcam stream into a <video>; returns a function that grabs the current frame as JPEG bytes. */
export async function startWebcam(video: HTMLVideoElement): Promise<{ grab(): Promise<Uint8Array>; stop(): void }> {
  if (!navigator.mediaDevices?.getUserMedia) throw new Error('this browser gives no webcam access here (it needs https or localhost)');
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  video.srcObject = stream;
  await video.play();
  return {
    async grab() {
      const canvas = new OffscreenCanvas(video.videoWidth, video.videoHeight);
      canvas.getContext('2d')!.drawImage(video, 0, 0);
      const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.92 });
      return new Uint8Array(await blob.arrayBuffer());
    },
    stop() {
      for (const t of stream.getTracks()) t.stop();
      video.srcObject = null;
    },
  };
}
