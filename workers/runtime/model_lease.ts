/**
 * What the model manager hands out and reports: leases that sessions hold, the status of resident models, and the
 * error for unloading a model that sessions still hold.
 *
 * @module
 */
import type { LoadedModel, ModelDescriptor } from "./adapter.ts";

/** A session's hold on a resident model. */
export interface ModelLease {
  readonly modelId: string;
  /** Milliseconds this acquisition waited for a load (0 when the model was resident). */
  readonly loadMs: number;
  /** The held model's descriptor. */
  readonly descriptor: ModelDescriptor;
  /** Starts a stream on the model's current instance; call `end` when the stream is over. */
  open(): { model: LoadedModel; end: () => void };
  /** Drops the hold (idempotent). */
  release(): void;
}

/** What the manager knows about one resident model, for ListModels/GetCapabilities/the registry. */
export interface ResidentModelStatus {
  modelId: string;
  model: LoadedModel;
  refcount: number;
  pinned: boolean;
  loadedAtMs: number;
  lastUsedAtMs: number;
  rtf: number;
}

/** The model is held by sessions and the unload was not forced. */
export class ModelInUseError extends Error {
  constructor(readonly modelId: string, readonly refcount: number) {
    super(`model "${modelId}" is held by ${refcount} session(s); unload with force=true to cancel them`);
    this.name = "ModelInUseError";
  }
}
