import type * as tfl from '@tensorflow/tfjs-layers';
import type { ActiveBackend } from '@bears/backend';
import { ExportedModel, loadExport, sha256, type ExportMetadata } from '@bears/learner';
import { foldBatchNorm } from './fold-batch-norm.js';

/** An export loaded for serving: the core's ExportedModel plus what /info reports about it. */
export class ServedModel extends ExportedModel {
  constructor(
    model: tfl.LayersModel,
    metadata: ExportMetadata,
    backend: ActiveBackend | undefined,
    /** sha256 (hex) of metadata.json, which lists every file's sha256: one id for the whole export. */
    readonly checksum: string,
    /** Whether batch norm was folded into the convolutions at load. */
    readonly folded: boolean,
  ) {
    super(model, metadata, backend);
  }
}

export interface ServeLoadOptions {
  backend?: ActiveBackend;
  /** Fold batch norm into the preceding convolutions (same outputs, fewer passes). Default true. */
  foldBatchNorm?: boolean;
  /** Names files in errors (the folder, say). */
  where?: string;
}

/** loadExport (format and sha256 checks), then batch norm folded for inference where it folds. */
export async function loadServedModel(source: { files: Record<string, Uint8Array> }, options: ServeLoadOptions = {}): Promise<ServedModel> {
  const exported = await loadExport(source, { backend: options.backend, where: options.where });
  const checksum = await sha256(source.files['metadata.json']!);
  let model = exported.model;
  if (options.foldBatchNorm ?? true) {
    model = await foldBatchNorm(exported.model);
    if (model !== exported.model) exported.dispose();
  }
  return new ServedModel(model, exported.metadata, options.backend, checksum, model !== exported.model);
}
