/**
 * Where voicepacks live and whether the configured one is installed.
 *
 * Layout under `VOICEPACKS_DIR`:
 * - piper: `piper/<id without "piper-">/` holding a `*.onnx` and its `*.onnx.json`
 *   (`piper-en-us-lessac-medium` → `voicepacks/piper/en-us-lessac-medium/en_US-lessac-medium.onnx{,.json}`);
 * - cosyvoice2: `cosyvoice/<id without "cosyvoice2-">/` holding `voicepack.json`;
 * - mock: nothing on disk.
 *
 * A missing voicepack for `DEFAULT_MODEL` is a warning with a fallback (the first installed voice of the same
 * adapter, else the mock adapter with `mock-440hz`); with `STRICT_CONFIG=true` it is an error.
 *
 * @module
 */
import { join } from "node:path";
import type { ConfigCheckResult } from "./load.ts";
import { type AdapterType, FALLBACK_MOCK_MODEL, MODEL_ID_PREFIX } from "../tts/models.ts";
import type { ConfigProblem } from "./problem.ts";

/** Folder under `VOICEPACKS_DIR` per adapter (cosyvoice2 packs live in `cosyvoice/`). */
const ADAPTER_FOLDER: Record<AdapterType, string | undefined> = {
  piper: "piper",
  cosyvoice2: "cosyvoice",
  mock: undefined,
};

/** The folder a model's voicepack must be in; `undefined` for adapters without voicepacks (mock). */
export function voicepackDir(voicepacksDir: string, adapter: AdapterType, modelId: string): string | undefined {
  const folder = ADAPTER_FOLDER[adapter];
  if (folder === undefined) return undefined;
  return join(voicepacksDir, folder, modelId.slice(MODEL_ID_PREFIX[adapter].length));
}

function fileNames(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].filter((e) => e.isFile || e.isSymlink).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/** Whether `dir` holds a complete voicepack for `adapter` (piper: an `.onnx` with its `.onnx.json`). */
export function isVoicepackComplete(adapter: AdapterType, dir: string): boolean {
  const names = fileNames(dir);
  if (adapter === "piper") return names.some((n) => n.endsWith(".onnx") && names.includes(`${n}.json`));
  if (adapter === "cosyvoice2") return names.includes("voicepack.json");
  return true;
}

/** Model ids of the complete voicepacks installed for `adapter`, sorted by id. */
export function listInstalledModels(voicepacksDir: string, adapter: AdapterType): string[] {
  const folder = ADAPTER_FOLDER[adapter];
  if (folder === undefined) return [];
  const root = join(voicepacksDir, folder);
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(root)];
  } catch {
    return [];
  }
  return entries.filter((e) => e.isDirectory && isVoicepackComplete(adapter, join(root, e.name)))
    .map((e) => `${MODEL_ID_PREFIX[adapter]}${e.name}`).sort();
}

/** The part of the worker config the voicepack check reads and may change. */
export interface VoicepackConfig {
  ADAPTER_TYPE: AdapterType;
  DEFAULT_MODEL: string;
  PRELOAD_MODEL_IDS: string[];
  VOICEPACKS_DIR: string;
  STRICT_CONFIG: boolean;
}

/**
 * Checks that `DEFAULT_MODEL` has its voicepack. When it is missing, returns a warning (an error under
 * `STRICT_CONFIG=true`) and, for the warning case, the config with the fallback applied.
 */
export function checkVoicepack<C extends VoicepackConfig>(config: C): ConfigCheckResult<C> {
  const adapter = config.ADAPTER_TYPE;
  const dir = voicepackDir(config.VOICEPACKS_DIR, adapter, config.DEFAULT_MODEL);
  if (dir === undefined || isVoicepackComplete(adapter, dir)) return { problems: [] };

  const sameAdapter = listInstalledModels(config.VOICEPACKS_DIR, adapter)[0];
  const fallback: C = sameAdapter !== undefined
    ? { ...config, DEFAULT_MODEL: sameAdapter }
    : { ...config, ADAPTER_TYPE: "mock", DEFAULT_MODEL: FALLBACK_MOCK_MODEL, PRELOAD_MODEL_IDS: [] };
  const fallbackText = sameAdapter !== undefined
    ? `falling back to ${sameAdapter}, the first installed ${adapter} voice`
    : `falling back to the mock adapter with ${FALLBACK_MOCK_MODEL} (no ${adapter} voice is installed)`;
  const fetch = `run \`deno task voices:fetch ${config.DEFAULT_MODEL}\``;
  const problem: ConfigProblem = config.STRICT_CONFIG
    ? {
      variable: "DEFAULT_MODEL",
      value: config.DEFAULT_MODEL,
      problem: `voicepack not found for ${config.DEFAULT_MODEL} at ${dir} (STRICT_CONFIG=true forbids the fallback)`,
      fix: `${fetch}, or set DEFAULT_MODEL to an installed voice, or set STRICT_CONFIG=false to allow the fallback`,
      severity: "error",
    }
    : {
      variable: "DEFAULT_MODEL",
      value: config.DEFAULT_MODEL,
      problem: `voicepack not found for ${config.DEFAULT_MODEL} at ${dir}; ${fetch}; ${fallbackText}`,
      fix: `${fetch} (or set DEFAULT_MODEL to an installed voice)`,
      severity: "warning",
    };
  return config.STRICT_CONFIG ? { problems: [problem] } : { problems: [problem], config: fallback };
}
