/**
 * One loaded copy of a model and the streams using it. RELOAD and eviction retire an instance; it is disposed only
 * when its last stream ends, so that a running synthesis never loses its weights mid-utterance.
 *
 * @module
 */
import type { LoadedModel } from "./adapter.ts";
import { getLogger } from "../../shared/log/mod.ts";

const log = getLogger("worker", "models");

/** A loaded model plus the count of synthesis streams currently running on it. */
export class ModelInstance {
  #uses = 0;
  #retired = false;
  #disposed: Promise<void> | null = null;

  constructor(readonly model: LoadedModel) {}

  /** Streams running on this instance. */
  get uses(): number {
    return this.#uses;
  }

  /** Marks a stream as running on the instance; call the returned function when it ends. */
  use(): () => void {
    this.#uses++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#uses--;
      if (this.#retired && this.#uses === 0) void this.#dispose();
    };
  }

  /** No new stream will use the instance; it is disposed once the running ones end. */
  retire(): Promise<void> {
    this.#retired = true;
    return this.#uses === 0 ? this.#dispose() : Promise.resolve();
  }

  #dispose(): Promise<void> {
    this.#disposed ??= this.model.dispose().catch((error) => {
      log.warn("disposing model {model_id} failed: {error}", { model_id: this.model.descriptor.id, error });
    });
    return this.#disposed;
  }
}
