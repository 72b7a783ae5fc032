/**
 * The listening half of the orchestrator, built from config (or from parts a test supplies): the Silero VAD model,
 * the ASR engine, a speech-input factory for sessions, and their readiness checks.
 *
 * @module
 */
import type { OrchestratorConfig } from "../../shared/config/orchestrator.ts";
import { getLogger } from "../../shared/log/mod.ts";
import type { AsrEngine } from "../asr/contract.ts";
import { selectAsrEngine } from "../asr/select.ts";
import type { ReadinessCheck } from "../http/health_server.ts";
import { SpeechInput, type SpeechInputListener } from "../session/speech_input.ts";
import { loadVadModel, type SileroVadModel, vadOptionsFromConfig } from "../vad/mod.ts";

const log = getLogger("orchestrator", "main");

/** The running listening half. */
export interface Listening {
  asr: AsrEngine;
  /** A session's speech input (VAD stream + ASR) in `language`. */
  createSpeechInput(listener: SpeechInputListener, language: string): SpeechInput;
  checks: ReadinessCheck[];
  /** Frees what was built here (not the supplied parts). */
  close(): Promise<void>;
}

/** Loads the VAD model and the ASR engine, unless supplied. */
export async function buildListening(
  config: OrchestratorConfig,
  parts: { vadModel?: SileroVadModel; asr?: AsrEngine },
): Promise<Listening> {
  const vadModel = parts.vadModel ?? await loadVadModel(config);
  const vadOptions = vadOptionsFromConfig(config);
  const asr = parts.asr ?? (await selectAsrEngine(config)).engine;
  log.info("ASR engine {engine} ({languages})", { engine: asr.name, languages: asr.languages.join(",") });
  return {
    asr,
    createSpeechInput: (listener, language) =>
      new SpeechInput({ vad: vadModel.createStream(vadOptions), asr, listener, language }),
    checks: [
      { name: "vad", required: true, check: () => ({ ok: true, detail: "silero v5 loaded" }) },
      { name: "asr", required: true, check: () => ({ ok: true, detail: `${asr.name} loaded` }) },
    ],
    async close() {
      if (!parts.asr) await asr.dispose();
      if (!parts.vadModel) await vadModel.dispose();
    },
  };
}
