// Classify: an exported Bears model, loaded once per backend, run in the model worker.
import { ModelWorker } from '../worker/client.js';
import type { BackendChoice } from '../worker/protocol.js';
import { $, backendPicker, describeBackend, imageBytes, renderProbabilities, renderSkipped, setStatus, startWebcam } from '../ui.js';

/** Where the demo model is served (scripts/make-demo-model.sh puts it in public/model). */
const MODEL_URL = new URL('model/', document.baseURI).href;

export async function start(root: HTMLElement): Promise<void> {
  const picker = backendPicker($<HTMLSelectElement>(root, '#classify-backend'));
  const backendStatus = $(root, '#classify-backend-status');
  const skipped = $(root, '#classify-skipped');
  const modelStatus = $(root, '#classify-model-status');
  const fileInput = $<HTMLInputElement>(root, '#classify-file');
  const drop = $(root, '#classify-drop');
  const preview = $<HTMLImageElement>(root, '#classify-preview');
  const label = $<HTMLOutputElement>(root, '#classify-label');
  const probs = $(root, '#classify-probs');
  const time = $(root, '#classify-time');
  const camera = $(root, '#classify-camera');
  const video = $<HTMLVideoElement>(root, '#classify-video');

  let worker: ModelWorker | undefined;
  let ready: Promise<boolean> = Promise.resolve(false);

  // A new backend means a new worker: each tfjs backend holds its own copy of the weights.
  function switchBackend(choice: BackendChoice): void {
    worker?.terminate();
    const w = (worker = new ModelWorker());
    root.dataset.ready = 'false';
    setStatus(backendStatus, `Starting ${choice}…`);
    skipped.replaceChildren();
    setStatus(modelStatus, '');
    ready = (async () => {
      try {
        const info = await w.call({ type: 'init', backend: choice });
        if (w !== worker) return false;
        setStatus(backendStatus, describeBackend(info));
        backendStatus.dataset.backend = info.name;
        renderSkipped(skipped, info);
        setStatus(modelStatus, 'Loading the model…');
        const m = await w.call({ type: 'load', url: MODEL_URL });
        if (w !== worker) return false;
        const err = m.validation?.metrics.error_rate;
        setStatus(modelStatus, `Model loaded and warmed up in ${Math.round(m.ms)} ms: ${m.arch}, classes ${m.classes.join(', ')}${err !== undefined ? `, validation error rate ${(err * 100).toFixed(1)}%` : ''}.`);
        root.dataset.ready = 'true';
        return true;
      } catch (e) {
        if (w !== worker) return false;
        const msg = (e as Error).message;
        setStatus(root.dataset.ready === 'false' && !backendStatus.dataset.backend ? backendStatus : modelStatus, msg, true);
        root.dataset.ready = 'error';
        return false;
      }
    })();
  }

  async function classify(bytes: Uint8Array, what: string): Promise<void> {
    const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>]));
    if (preview.src.startsWith('blob:')) URL.revokeObjectURL(preview.src);
    preview.src = url;
    preview.alt = `The photo being classified: ${what}`;
    preview.hidden = false;
    label.textContent = '…';
    delete label.dataset.label;
    delete label.dataset.file;
    if (!(await ready) || !worker) {
      label.textContent = '–';
      setStatus(time, `Cannot classify ${what}: no model is running (see the message above).`, true);
      return;
    }
    try {
      const r = await worker.call({ type: 'predict', bytes, model: 'loaded' });
      label.textContent = `${r.label} (${(r.probabilities[r.index]! * 100).toFixed(1)}%)`;
      label.dataset.label = r.label;
      label.dataset.file = what;
      renderProbabilities(probs, r);
      setStatus(time, `Inference took ${r.ms.toFixed(0)} ms on ${backendStatus.dataset.backend} (decode, preprocess and the model, in the worker).`);
    } catch (e) {
      label.textContent = '–';
      probs.replaceChildren();
      setStatus(time, `Could not classify ${what}: ${(e as Error).message}`, true);
    }
  }

  async function fromFile(file: File | undefined): Promise<void> {
    if (!file) return;
    try {
      await classify(await imageBytes(file), file.name);
    } catch (e) {
      setStatus(time, (e as Error).message, true);
    }
  }

  picker.addEventListener('change', () => switchBackend(picker.value as BackendChoice));
  fileInput.addEventListener('change', () => void fromFile(fileInput.files?.[0]));
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    void fromFile(e.dataTransfer?.files[0]);
  });
  // Keyboard: Enter or Space on the drop zone opens the file picker.
  drop.addEventListener('keydown', (e) => {
    if ((e.key === 'Enter' || e.key === ' ') && e.target === drop) {
      e.preventDefault();
      fileInput.click();
    }
  });

  let cam: Awaited<ReturnType<typeof startWebcam>> | undefined;
  $(root, '#classify-webcam').addEventListener('click', async () => {
    try {
      cam ??= await startWebcam(video);
      camera.hidden = false;
      $(root, '#classify-snap').focus();
    } catch (e) {
      setStatus(time, `Webcam: ${(e as Error).message}`, true);
    }
  });
  $(root, '#classify-snap').addEventListener('click', async () => cam && classify(await cam.grab(), 'a webcam frame'));
  $(root, '#classify-camera-stop').addEventListener('click', () => {
    cam?.stop();
    cam = undefined;
    camera.hidden = true;
  });

  switchBackend(picker.value as BackendChoice);
}
