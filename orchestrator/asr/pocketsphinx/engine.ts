/**
 * The pocketsphinx ASR engine: Debian's pocketsphinx with its US English acoustic model, trigram LM and dictionary,
 * run in-process through FFI. An offline fallback that needs no model download; English only.
 *
 * @module
 */
import { getLogger } from "../../../shared/log/mod.ts";
import type { AsrEngine, Transcript, Utterance, UtteranceOptions } from "../contract.ts";
import { checkModelDir, DEFAULT_POCKETSPHINX_MODEL_DIR } from "./decoder.ts";
import { DecoderPool } from "./decoder_pool.ts";
import { openPocketsphinx } from "./ffi.ts";
import { checkSamples } from "./samples.ts";
import { PocketsphinxUtterance } from "./utterance.ts";

const log = getLogger("orchestrator", "asr", "pocketsphinx");

/** Engine settings; every field has a default. */
export interface PocketsphinxEngineOptions {
  /** Folder with `en-us/`, `en-us.lm.bin` and `cmudict-en-us.dict` (Debian's pocketsphinx-en-us). */
  modelDir?: string;
  /** Audio between partial transcripts, in ms (ASR_PARTIAL_INTERVAL_MS); default 500. */
  partialIntervalMs?: number;
  /** Decoders kept loaded at most, i.e. utterances decoded at once (about 100 MB each); default 4. */
  maxDecoders?: number;
}

/**
 * Loads the engine: opens libpocketsphinx and loads one decoder, so the first utterance does not wait for it.
 * Throws `PocketsphinxUnavailableError` naming the missing library or files and the package to install.
 */
export async function createPocketsphinxEngine(options: PocketsphinxEngineOptions = {}): Promise<AsrEngine> {
  const modelDir = options.modelDir ?? DEFAULT_POCKETSPHINX_MODEL_DIR;
  const partialIntervalMs = options.partialIntervalMs ?? 500;
  if (!(partialIntervalMs > 0)) throw new RangeError(`partialIntervalMs must be > 0, got ${partialIntervalMs}`);
  openPocketsphinx();
  await checkModelDir(modelDir);
  const pool = new DecoderPool(modelDir, options.maxDecoders ?? 4);
  const started = performance.now();
  await pool.warm();
  log.info("pocketsphinx loaded from {modelDir} in {ms} ms", {
    modelDir,
    ms: Math.round(performance.now() - started),
  });
  return new PocketsphinxEngine(pool, partialIntervalMs);
}

class PocketsphinxEngine implements AsrEngine {
  readonly name = "pocketsphinx-en-us";
  readonly languages = ["en"] as const;
  readonly #pool: DecoderPool;
  readonly #partialIntervalMs: number;
  /** Each live utterance and a promise that resolves once it has let go of its decoder. */
  readonly #live = new Map<PocketsphinxUtterance, Promise<void>>();
  #warnedLanguage = false;
  #disposed = false;

  constructor(pool: DecoderPool, partialIntervalMs: number) {
    this.#pool = pool;
    this.#partialIntervalMs = partialIntervalMs;
  }

  startUtterance(options: UtteranceOptions = {}): Utterance {
    if (this.#disposed) throw new Error("the pocketsphinx engine was disposed");
    this.#noteLanguage(options.language);
    let release!: () => void;
    const settled = new Promise<void>((resolve) => release = resolve);
    const utterance = new PocketsphinxUtterance({
      pool: this.#pool,
      partialIntervalMs: this.#partialIntervalMs,
      settled: (done) => {
        done.finally(() => {
          this.#live.delete(utterance);
          release();
        });
      },
    }, options);
    this.#live.set(utterance, settled);
    return utterance;
  }

  async transcribe(samples: Float32Array, options: { language?: string } = {}): Promise<Transcript> {
    checkSamples(samples);
    const utterance = this.startUtterance(options);
    utterance.push(samples);
    return await utterance.finish();
  }

  async dispose(): Promise<void> {
    this.#disposed = true;
    // Open utterances are cancelled; ones finishing complete. Either way every decoder call ends before the free.
    for (const utterance of this.#live.keys()) utterance.cancel();
    await Promise.all(this.#live.values());
    this.#pool.close();
  }

  #noteLanguage(language: string | undefined): void {
    if (!language || language === "en" || this.#warnedLanguage) return;
    this.#warnedLanguage = true;
    log.warn("pocketsphinx only knows English; language {language} is ignored", { language });
  }
}
