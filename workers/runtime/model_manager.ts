/**
 * Which models are resident in a worker, and for how long.
 *
 * Rules (one place, so they are easy to reason about):
 * - Sessions hold models through leases (refcounts). A held model is never evicted (except by a forced unload).
 * - Concurrent requests for one model id share ONE load; at most `maxParallelLoads` different loads run at once.
 * - Every load runs the model's warmup before anyone can use it.
 * - A model is evictable when nobody holds or awaits it, it is not pinned (the default model is), and it has been
 *   resident for at least `minResidencyMs` (so a burst of requests cannot make models thrash).
 * - Evictable models idle for `idleTtlMs` are unloaded by {@linkcode ModelManager.sweep}; above `maxResident` the least
 *   recently used evictable models go first. When nothing is evictable the cap is exceeded until something is.
 *
 * @module
 */
import { type LoadedModel, ModelLoadError, ModelNotFoundError, type TtsAdapter } from "./adapter.ts";
import { type Clock, systemClock } from "./clock.ts";
import { ModelInUseError, type ModelLease, type ResidentModelStatus } from "./model_lease.ts";
import { ModelInstance } from "./model_instance.ts";
import { Semaphore } from "./semaphore.ts";
import { getLogger } from "../../shared/log/mod.ts";

export { ModelInUseError, type ModelLease, type ResidentModelStatus };

const log = getLogger("worker", "models");

/** Settings of a {@linkcode ModelManager}. */
export interface ModelManagerOptions {
  adapter: TtsAdapter;
  idleTtlMs: number;
  minResidencyMs: number;
  maxResident: number;
  maxParallelLoads: number;
  /** Injectable for tests; defaults to the system clock. */
  clock?: Clock;
  /** Called after each successful load and warmup with its duration (the worker's load-time histogram). */
  onLoaded?: (modelId: string, loadMs: number) => void;
}

interface Resident {
  id: string;
  instance: ModelInstance;
  refcount: number;
  pinned: boolean;
  loadedAt: number;
  lastUsedAt: number;
  /** Tie-breaker for LRU when the clock does not move between uses. */
  lastUsedSeq: number;
}

/** Loads, shares, reloads and evicts the models of one worker. */
export class ModelManager {
  readonly #options: ModelManagerOptions;
  readonly #clock: Clock;
  readonly #loads: Semaphore;
  readonly #resident = new Map<string, Resident>();
  readonly #loading = new Map<string, Promise<Resident>>();
  /** Acquirers waiting for a load, per model id: such a model must not be evicted under them. */
  readonly #awaited = new Map<string, number>();
  #useSeq = 0;

  constructor(options: ModelManagerOptions) {
    if (options.maxResident < 1) throw new RangeError(`maxResident must be >= 1, got ${options.maxResident}`);
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#loads = new Semaphore(options.maxParallelLoads);
  }

  /** Acquisitions currently waiting for a model load (part of the worker's queue depth). */
  get pendingAcquisitions(): number {
    let total = 0;
    for (const n of this.#awaited.values()) total += n;
    return total;
  }

  /** Ids of the resident models. */
  residentIds(): string[] {
    return [...this.#resident.keys()];
  }

  /** Status of every resident model. */
  status(): ResidentModelStatus[] {
    return [...this.#resident.values()].map((r) => ({
      modelId: r.id,
      model: r.instance.model,
      refcount: r.refcount,
      pinned: r.pinned,
      loadedAtMs: r.loadedAt,
      lastUsedAtMs: r.lastUsedAt,
      rtf: r.instance.model.rtf(),
    }));
  }

  /** Makes a model resident without holding it (LoadModel, preload). `pin` exempts it from eviction. */
  async ensureLoaded(modelId: string, options: { pin?: boolean } = {}): Promise<{ loadMs: number }> {
    const started = performance.now();
    const wasResident = this.#resident.has(modelId);
    await this.#residentOrLoad(modelId, (r) => {
      if (options.pin) r.pinned = true;
      this.#touch(r);
    });
    return { loadMs: wasResident ? 0 : performance.now() - started };
  }

  /** Holds a model for a session, loading it first when needed. */
  async acquire(modelId: string): Promise<ModelLease> {
    const started = performance.now();
    const wasResident = this.#resident.has(modelId);
    const resident = await this.#residentOrLoad(modelId, (r) => {
      r.refcount++;
      this.#touch(r);
    });
    const loadMs = wasResident ? 0 : performance.now() - started;
    let released = false;
    return {
      modelId,
      loadMs,
      get descriptor() {
        return resident.instance.model.descriptor;
      },
      open: () => {
        this.#touch(resident);
        const instance = resident.instance;
        return { model: instance.model, end: instance.use() };
      },
      release: () => {
        if (released) return;
        released = true;
        resident.refcount--;
        this.#touch(resident);
      },
    };
  }

  /**
   * Loads a fresh instance of a resident model (e.g. a voicepack changed on disk) and swaps it in: new streams use
   * the new instance, running ones finish on the old one, which is then disposed.
   */
  async reload(modelId: string): Promise<{ loadMs: number }> {
    const resident = this.#resident.get(modelId);
    if (!resident) return this.ensureLoaded(modelId);
    const started = performance.now();
    const fresh = await this.#loads.run(() => this.#loadInstance(modelId));
    const old = resident.instance;
    resident.instance = fresh;
    resident.loadedAt = this.#clock.now();
    await old.retire();
    log.info("reloaded model {model_id}", { model_id: modelId });
    return { loadMs: performance.now() - started };
  }

  /**
   * Unloads a resident model. Returns false when it was not resident. A held model needs `force` (the caller first
   * cancels the holders' streams); otherwise {@linkcode ModelInUseError}.
   */
  async unload(modelId: string, options: { force?: boolean } = {}): Promise<boolean> {
    const resident = this.#resident.get(modelId);
    if (!resident) return false;
    if (resident.refcount > 0 && !options.force) throw new ModelInUseError(modelId, resident.refcount);
    await this.#evict(resident, options.force ? "forced unload" : "unload");
    return true;
  }

  /** Applies the idle-TTL and resident-cap rules now. Returns the ids evicted. */
  async sweep(): Promise<string[]> {
    const now = this.#clock.now();
    const evicted: string[] = [];
    for (const r of [...this.#resident.values()]) {
      if (this.#evictable(r, now) && now - r.lastUsedAt >= this.#options.idleTtlMs) {
        evicted.push(r.id);
        await this.#evict(r, `idle for ${now - r.lastUsedAt} ms`);
      }
    }
    evicted.push(...await this.#enforceCap());
    return evicted;
  }

  /** Unloads everything (worker shutdown). */
  async disposeAll(): Promise<void> {
    await Promise.allSettled([...this.#loading.values()]);
    await Promise.all([...this.#resident.values()].map((r) => this.#evict(r, "shutdown")));
  }

  /** `claim` runs in the same tick the model is known resident, so no eviction can slip in between. */
  async #residentOrLoad(modelId: string, claim: (r: Resident) => void): Promise<Resident> {
    const resident = this.#resident.get(modelId);
    if (resident) {
      claim(resident);
      return resident;
    }
    this.#awaited.set(modelId, (this.#awaited.get(modelId) ?? 0) + 1);
    try {
      let loading = this.#loading.get(modelId);
      if (!loading) {
        loading = this.#load(modelId).finally(() => this.#loading.delete(modelId));
        this.#loading.set(modelId, loading);
      }
      const loaded = await loading;
      claim(loaded);
      return loaded;
    } finally {
      const left = (this.#awaited.get(modelId) ?? 1) - 1;
      if (left > 0) this.#awaited.set(modelId, left);
      else this.#awaited.delete(modelId);
    }
  }

  async #load(modelId: string): Promise<Resident> {
    const instance = await this.#loads.run(() => this.#loadInstance(modelId));
    const now = this.#clock.now();
    const resident: Resident = {
      id: modelId,
      instance,
      refcount: 0,
      pinned: false,
      loadedAt: now,
      lastUsedAt: now,
      lastUsedSeq: ++this.#useSeq,
    };
    this.#resident.set(modelId, resident);
    await this.#enforceCap();
    return resident;
  }

  async #loadInstance(modelId: string): Promise<ModelInstance> {
    const started = performance.now();
    let model: LoadedModel;
    try {
      model = await this.#options.adapter.load(modelId);
    } catch (error) {
      if (error instanceof ModelNotFoundError || error instanceof ModelLoadError) throw error;
      throw new ModelLoadError(modelId, error instanceof Error ? error.message : String(error), { cause: error });
    }
    try {
      await model.warmup();
    } catch (error) {
      await model.dispose().catch(() => {});
      const detail = `warmup failed: ${error instanceof Error ? error.message : String(error)}`;
      throw new ModelLoadError(modelId, detail, { cause: error });
    }
    const loadMs = performance.now() - started;
    log.info("loaded model {model_id} in {load_ms} ms", { model_id: modelId, load_ms: Math.round(loadMs) });
    this.#options.onLoaded?.(modelId, loadMs);
    return new ModelInstance(model);
  }

  #evictable(r: Resident, now: number): boolean {
    return r.refcount === 0 && !r.pinned && !this.#awaited.has(r.id) &&
      now - r.loadedAt >= this.#options.minResidencyMs;
  }

  async #enforceCap(): Promise<string[]> {
    const evicted: string[] = [];
    while (this.#resident.size > this.#options.maxResident) {
      const now = this.#clock.now();
      const candidates = [...this.#resident.values()].filter((r) => this.#evictable(r, now));
      if (candidates.length === 0) break;
      candidates.sort((a, b) => a.lastUsedAt - b.lastUsedAt || a.lastUsedSeq - b.lastUsedSeq);
      evicted.push(candidates[0].id);
      await this.#evict(candidates[0], `resident cap ${this.#options.maxResident} (least recently used)`);
    }
    return evicted;
  }

  async #evict(r: Resident, reason: string): Promise<void> {
    if (this.#resident.get(r.id) !== r) return;
    this.#resident.delete(r.id);
    log.info("unloading model {model_id}: {reason}", { model_id: r.id, reason });
    await r.instance.retire();
  }

  #touch(r: Resident): void {
    r.lastUsedAt = this.#clock.now();
    r.lastUsedSeq = ++this.#useSeq;
  }
}
