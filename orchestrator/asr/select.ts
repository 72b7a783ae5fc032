/**
 * Picks the ASR engine from config. `ASR_ENGINE=whisper` loads Whisper; when its model files are missing it falls
 * back to pocketsphinx with a warning that says what was missing and how to fetch it (the service still hears
 * English). `ASR_ENGINE=pocketsphinx` loads pocketsphinx. When no engine can load, the error names every reason.
 *
 * @module
 */
import type { OrchestratorConfig } from "../../shared/config/orchestrator.ts";
import { getLogger } from "../../shared/log/mod.ts";
import type { AsrEngine } from "./contract.ts";
import { createPocketsphinxEngine } from "./pocketsphinx/mod.ts";
import { createWhisperEngine, type WhisperConfig, WhisperModelError } from "./whisper/mod.ts";

const log = getLogger("orchestrator", "asr");

/** The config keys engine selection reads: Whisper's, and the engine choice. */
export type AsrSelectConfig = WhisperConfig & Pick<OrchestratorConfig, "ASR_ENGINE">;

/** How each engine is built (the real factories by default; tests may point them at other model folders). */
export interface AsrEngineFactories {
  whisper: (config: AsrSelectConfig) => Promise<AsrEngine>;
  pocketsphinx: (config: AsrSelectConfig) => Promise<AsrEngine>;
}

/** The real factories. */
export const DEFAULT_ASR_FACTORIES: AsrEngineFactories = {
  whisper: (config) => createWhisperEngine(config),
  pocketsphinx: (config) => createPocketsphinxEngine({ partialIntervalMs: config.ASR_PARTIAL_INTERVAL_MS }),
};

/** The engine chosen, and why it is not the one asked for (null when it is). */
export interface AsrSelection {
  engine: AsrEngine;
  fallbackReason: string | null;
}

/** No engine could be loaded; the message lists the reason for each engine tried. */
export class AsrUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AsrUnavailableError";
  }
}

/** Loads the engine `ASR_ENGINE` names, or pocketsphinx when the Whisper model is missing. */
export async function selectAsrEngine(
  config: AsrSelectConfig,
  factories: AsrEngineFactories = DEFAULT_ASR_FACTORIES,
): Promise<AsrSelection> {
  if (config.ASR_ENGINE === "pocketsphinx") {
    return { engine: await factories.pocketsphinx(config), fallbackReason: null };
  }
  try {
    return { engine: await factories.whisper(config), fallbackReason: null };
  } catch (err) {
    // Only a missing or incomplete model falls back; a broken runtime is a fault to see, not to hide.
    if (!(err instanceof WhisperModelError)) throw err;
    const reason = `ASR_ENGINE=whisper, but ${err.message}`;
    let engine: AsrEngine;
    try {
      engine = await factories.pocketsphinx(config);
    } catch (fallbackErr) {
      const why = fallbackErr instanceof Error ? fallbackErr.message : String(fallbackErr);
      throw new AsrUnavailableError(`no ASR engine could load. Whisper: ${err.message}. Pocketsphinx: ${why}`);
    }
    log.warn("{reason}; using pocketsphinx until the model is there", { reason });
    if (config.ASR_LANGUAGE !== "en") {
      log.warn("pocketsphinx understands English only; ASR_LANGUAGE={language} is not honoured", {
        language: config.ASR_LANGUAGE,
      });
    }
    return { engine, fallbackReason: reason };
  }
}
