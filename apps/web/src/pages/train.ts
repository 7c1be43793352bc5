// Train in the browser: a Teachable-Machine-style flow. Photos per class (files or webcam) go to the
// model worker, which trains a head on the frozen MobileNet body with @bears/learner.
import { linePlotSvg } from '@bears/sgd';
import { ModelWorker } from '../worker/client.js';
import type { BackendChoice, TrainItem, TrainProgress, TrainResult } from '../worker/protocol.js';
import { $, backendPicker, describeBackend, imageBytes, setStatus, startWebcam } from '../ui.js';
import { zipFiles } from '../zip.js';

/** The pretrained MobileNet body (scripts/make-demo-model.sh copies it to public/body; dev serves ../shared). */
const BODY_URL = new URL('body/model.json', document.baseURI).href;
const MAX_PHOTOS_PER_CLASS = 200;

interface ClassCard {
  name: string;
  photos: { name: string; bytes: Uint8Array; url: string }[];
  el: HTMLElement;
}

export async function start(root: HTMLElement): Promise<void> {
  const picker = backendPicker($<HTMLSelectElement>(root, '#train-backend'));
  const backendStatus = $(root, '#train-backend-status');
  const list = $(root, '#train-classes');
  const newName = $<HTMLInputElement>(root, '#train-new-class');
  const status = $(root, '#train-status');
  const lossPlot = $(root, '#train-loss');
  const accuracy = $<HTMLOutputElement>(root, '#train-accuracy');
  const confusion = $<HTMLTableElement>(root, '#train-confusion');
  const trainBtn = $<HTMLButtonElement>(root, '#train-start');
  const tryInput = $<HTMLInputElement>(root, '#train-try');
  const tryResult = $<HTMLOutputElement>(root, '#train-try-result');
  const downloadBtn = $<HTMLButtonElement>(root, '#train-download');
  const camera = $(root, '#train-camera');
  const video = $<HTMLVideoElement>(root, '#train-video');

  const cards: ClassCard[] = [];
  let worker: ModelWorker | undefined;
  let ready: Promise<boolean> = Promise.resolve(false);
  let trained: TrainResult | undefined;
  let busy = false;

  function switchBackend(choice: BackendChoice): void {
    worker?.terminate();
    const w = (worker = new ModelWorker());
    trained = undefined;
    downloadBtn.disabled = true;
    setStatus(backendStatus, `Starting ${choice}…`);
    ready = w.call({ type: 'init', backend: choice }).then(
      (info) => {
        setStatus(backendStatus, describeBackend(info) + (info.skipped.length ? ` Skipped: ${info.skipped.map((s) => `${s.name} (${s.reason})`).join('; ')}.` : ''));
        backendStatus.dataset.backend = info.name;
        return true;
      },
      (err: Error) => {
        if (w === worker) setStatus(backendStatus, err.message, true);
        return false;
      },
    );
    refresh();
  }

  function refresh(): void {
    const usable = cards.filter((c) => c.photos.length > 0);
    trainBtn.disabled = busy || usable.length < 2 || usable.some((c) => c.photos.length < 2);
    for (const c of cards) $(c.el, '.count').textContent = `${c.photos.length} photo${c.photos.length === 1 ? '' : 's'}`;
  }

  function addPhotos(card: ClassCard, photos: { name: string; bytes: Uint8Array }[]): void {
    const thumbs = $(card.el, '.thumbs');
    for (const p of photos) {
      if (card.photos.length >= MAX_PHOTOS_PER_CLASS) {
        setStatus(status, `${card.name}: at most ${MAX_PHOTOS_PER_CLASS} photos per class`, true);
        break;
      }
      const url = URL.createObjectURL(new Blob([p.bytes as Uint8Array<ArrayBuffer>]));
      card.photos.push({ ...p, url });
      const img = document.createElement('img');
      img.src = url;
      img.alt = `${card.name}: ${p.name}`;
      thumbs.append(img);
    }
    refresh();
  }

  let cam: Awaited<ReturnType<typeof startWebcam>> | undefined;
  async function webcamFrame(): Promise<Uint8Array> {
    if (!cam) {
      cam = await startWebcam(video);
      camera.hidden = false;
    }
    return cam.grab();
  }
  $(root, '#train-camera-stop').addEventListener('click', () => {
    cam?.stop();
    cam = undefined;
    camera.hidden = true;
  });

  function addClass(name: string): void {
    name = name.trim();
    if (!name) return setStatus(status, 'Give the class a name first.', true);
    if (!/^[\p{L}\p{N} _.-]{1,40}$/u.test(name)) return setStatus(status, `'${name}': use letters, digits, spaces, '_', '-' or '.' (at most 40)`, true);
    if (cards.some((c) => c.name === name)) return setStatus(status, `There is already a class '${name}'.`, true);
    const id = `train-class-${cards.length}`;
    const el = document.createElement('div');
    el.className = 'class-card';
    el.dataset.class = name;
    el.innerHTML = `<h3><span class="name"></span> <span class="count status"></span></h3>
      <div class="row">
        <label class="button">Add photos…<input id="${id}-files" class="visually-hidden" type="file" accept="image/*" multiple /></label>
        <button type="button" class="snap">Webcam photo</button>
        <button type="button" class="remove">Remove class</button>
      </div>
      <div class="thumbs"></div>`;
    $(el, '.name').textContent = name;
    $(el, 'input[type=file]').setAttribute('aria-label', `Add photos of ${name}`);
    $(el, '.snap').setAttribute('aria-label', `Add a webcam photo of ${name}`);
    $(el, '.remove').setAttribute('aria-label', `Remove the class ${name}`);
    const card: ClassCard = { name, photos: [], el };
    $<HTMLInputElement>(el, 'input[type=file]').addEventListener('change', async (e) => {
      const input = e.target as HTMLInputElement;
      const got: { name: string; bytes: Uint8Array }[] = [];
      const bad: string[] = [];
      for (const f of input.files ?? []) {
        try {
          got.push({ name: f.name, bytes: await imageBytes(f) });
        } catch (err) {
          bad.push((err as Error).message);
        }
      }
      input.value = '';
      addPhotos(card, got);
      if (bad.length) setStatus(status, `Left out: ${bad.join('; ')}`, true);
    });
    $(el, '.snap').addEventListener('click', async () => {
      try {
        addPhotos(card, [{ name: `webcam-${Date.now()}.jpg`, bytes: await webcamFrame() }]);
      } catch (err) {
        setStatus(status, `Webcam: ${(err as Error).message}`, true);
      }
    });
    $(el, '.remove').addEventListener('click', () => {
      for (const p of card.photos) URL.revokeObjectURL(p.url);
      cards.splice(cards.indexOf(card), 1);
      el.remove();
      newName.focus();
      refresh();
    });
    cards.push(card);
    list.append(el);
    refresh();
  }

  const trainLoss: { x: number[]; y: number[] } = { x: [], y: [] };
  const validLoss: { x: number[]; y: number[] } = { x: [], y: [] };
  function drawLoss(): void {
    if (trainLoss.x.length < 1) return void (lossPlot.innerHTML = '');
    const series = [{ ...trainLoss, label: 'train (per batch)' }];
    if (validLoss.x.length) series.push({ ...validLoss, label: 'valid (per epoch)' });
    lossPlot.innerHTML = linePlotSvg({ series, width: 480, height: 300, title: 'Loss', xLabel: 'batch', yLabel: 'cross-entropy', legend: true, id: 'train-loss' });
  }

  function showConfusion(r: TrainResult): void {
    const head = `<tr><th scope="col">actual \\ predicted</th>${r.classes.map((c) => `<th scope="col"></th>`).join('')}</tr>`;
    const rows = r.confusion.map((row) => `<tr><th scope="row"></th>${row.map((v) => `<td>${v}</td>`).join('')}</tr>`).join('');
    confusion.innerHTML = `<caption>Confusion matrix over ${r.nValid} validation photos (rows: actual, columns: predicted)</caption>${head}${rows}`;
    const cols = confusion.querySelectorAll('tr:first-of-type th[scope=col]');
    r.classes.forEach((c, i) => (cols[i + 1]!.textContent = c));
    confusion.querySelectorAll('th[scope=row]').forEach((th, i) => (th.textContent = r.classes[i]!));
  }

  trainBtn.addEventListener('click', async () => {
    if (busy || !(await ready) || !worker) return;
    busy = true;
    refresh();
    downloadBtn.disabled = true;
    trainLoss.x = [];
    trainLoss.y = [];
    validLoss.x = [];
    validLoss.y = [];
    drawLoss();
    accuracy.textContent = '…';
    delete root.dataset.accuracy;
    const items: TrainItem[] = cards.flatMap((c) => c.photos.map((p) => ({ label: c.name, name: p.name, bytes: p.bytes })));
    const epochs = Number($<HTMLInputElement>(root, '#train-epochs').value);
    const lr = Number($<HTMLInputElement>(root, '#train-lr').value);
    const validPct = Number($<HTMLInputElement>(root, '#train-valid').value);
    try {
      if (!(epochs >= 1 && epochs <= 50 && Number.isInteger(epochs))) throw new Error('epochs: a whole number from 1 to 50');
      if (!(lr > 0 && lr <= 1)) throw new Error('learning rate: a number above 0, at most 1');
      if (!(validPct >= 0.1 && validPct <= 0.5)) throw new Error('validation share: from 0.1 to 0.5');
      setStatus(status, `Starting: ${items.length} photos in ${cards.length} classes…`);
      const onProgress = (p: TrainProgress) => {
        if (p.trainLoss !== undefined) {
          trainLoss.x.push(p.done);
          trainLoss.y.push(p.trainLoss);
        }
        if (p.validLoss !== undefined) {
          validLoss.x.push(p.done);
          validLoss.y.push(p.validLoss);
        }
        drawLoss();
        setStatus(status, `${p.phase}${p.total > 1 ? `: ${p.done}/${p.total}` : '…'}${p.trainLoss !== undefined ? `, loss ${p.trainLoss.toFixed(4)}` : ''}`);
      };
      trained = await worker.call({ type: 'train', items, options: { bodyUrl: BODY_URL, epochs, lr, validPct, seed: 42, size: 224 } }, onProgress);
      accuracy.textContent = `${(trained.accuracy * 100).toFixed(1)}% of ${trained.nValid}`;
      root.dataset.accuracy = String(trained.accuracy);
      showConfusion(trained);
      setStatus(status, `Trained on ${trained.nTrain} photos in ${(trained.ms / 1000).toFixed(1)} s; checked on ${trained.nValid}.`);
      downloadBtn.disabled = false;
    } catch (err) {
      accuracy.textContent = '–';
      setStatus(status, `Training failed: ${(err as Error).message}`, true);
    } finally {
      busy = false;
      refresh();
    }
  });

  tryInput.addEventListener('change', async () => {
    const f = tryInput.files?.[0];
    tryInput.value = '';
    if (!f || !worker) return;
    delete tryResult.dataset.label;
    try {
      const r = await worker.call({ type: 'predict', bytes: await imageBytes(f), model: 'trained' });
      tryResult.textContent = `${f.name}: ${r.label} (${(r.probabilities[r.index]! * 100).toFixed(1)}%)`;
      tryResult.dataset.label = r.label;
      tryResult.classList.remove('error');
    } catch (err) {
      tryResult.textContent = `${f.name}: ${(err as Error).message}`;
      tryResult.classList.add('error');
    }
  });

  downloadBtn.addEventListener('click', async () => {
    if (!worker || !trained) return;
    try {
      const { files } = await worker.call({ type: 'export' });
      // metadata.json last, as the folder writer does: it names the other files and their sha256.
      const order = Object.keys(files).sort((a, b) => Number(a === 'metadata.json') - Number(b === 'metadata.json'));
      const zip = zipFiles(Object.fromEntries(order.map((f) => [`bears-model/${f}`, files[f]!])));
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' }));
      a.download = 'bears-model.zip';
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
      setStatus(status, 'Downloaded bears-model.zip: unzip it, then `bears predict bears-model photo.jpg` or `bears serve bears-model`.');
    } catch (err) {
      setStatus(status, `Export failed: ${(err as Error).message}`, true);
    }
  });

  $(root, '#train-add-class').addEventListener('click', () => {
    addClass(newName.value);
    newName.value = '';
  });
  newName.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      addClass(newName.value);
      newName.value = '';
    }
  });
  picker.addEventListener('change', () => switchBackend(picker.value as BackendChoice));
  for (const name of ['black', 'grizzly', 'teddy']) addClass(name);
  switchBackend(picker.value as BackendChoice);
  root.dataset.ready = 'true';
}
