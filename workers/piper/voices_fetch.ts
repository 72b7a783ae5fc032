/**
 * `deno task voices:fetch [model-id ...]`: downloads Piper voices from the piper-voices layout
 * (`PIPER_VOICE_URL_TEMPLATE`) into `<VOICEPACKS_DIR>/piper/<voice>/`: the `.onnx`, its `.onnx.json` (validated
 * after download) and the MODEL_CARD when the repository has one. Without ids it fetches `DEFAULT_MODEL`.
 * Idempotent: verified files are not downloaded again. Exits 1 naming every voice that failed.
 *
 * @module
 */
import { join } from "node:path";
import { DEFAULT_PIPER_VOICE_URL_TEMPLATE } from "../../shared/config/worker.ts";
import { parsePiperModelId, piperVoiceUrl } from "../../shared/config/piper_voice_url.ts";
import { DownloadError, downloadFile, type DownloadResult } from "../../shared/fetch/mod.ts";
import { voiceDir } from "./catalog.ts";
import { readVoiceConfig } from "./voice_config.ts";

/** Where and from where to fetch. */
export interface VoicesFetchOptions {
  voicepacksDir: string;
  urlTemplate: string;
  /** Progress callback per file; default progress bars on stderr. */
  onProgress?: ((received: number, total: number | undefined) => void) | null;
}

/** What one voice fetch did. */
export interface FetchedVoice {
  modelId: string;
  dir: string;
  files: { name: string; result: DownloadResult | "absent" }[];
}

/** Downloads one voice; throws an Error naming the model and the problem. */
export async function fetchVoice(modelId: string, options: VoicesFetchOptions): Promise<FetchedVoice> {
  const voice = parsePiperModelId(modelId);
  if (!voice) {
    throw new Error(
      `"${modelId}" is not a Piper model id: use piper-<lang>-<region>-<name>-<quality>, e.g. piper-en-us-lessac-medium`,
    );
  }
  const dir = voiceDir(options.voicepacksDir, modelId);
  const base = `${voice.langCode}-${voice.name}-${voice.quality}`;
  const onnxUrl = piperVoiceUrl(options.urlTemplate, voice, ".onnx");
  const files: FetchedVoice["files"] = [];
  const get = (url: string, name: string) =>
    downloadFile({ url, dest: join(dir, name), label: `${modelId} ${name}`, onProgress: options.onProgress });

  // The config first: it is small, and a wrong voice name fails here before 60 MB are downloaded.
  const configName = `${base}.onnx.json`;
  files.push({
    name: configName,
    result: await get(piperVoiceUrl(options.urlTemplate, voice, ".onnx.json"), configName),
  });
  try {
    await readVoiceConfig(join(dir, configName));
  } catch (error) {
    // A config that downloaded fine but is not a Piper config must not count as present next time.
    await Deno.remove(join(dir, configName)).catch(() => {});
    await Deno.remove(join(dir, `${configName}.sha256`)).catch(() => {});
    throw error;
  }
  files.push({ name: `${base}.onnx`, result: await get(onnxUrl, `${base}.onnx`) });
  const cardUrl = onnxUrl.replace(/[^/]+$/, "MODEL_CARD");
  try {
    files.push({ name: "MODEL_CARD", result: await get(cardUrl, "MODEL_CARD") });
  } catch (error) {
    if (!(error instanceof DownloadError && /HTTP 404/.test(error.message))) throw error;
    files.push({ name: "MODEL_CARD", result: "absent" });
  }
  return { modelId, dir, files };
}

function describe(fetched: FetchedVoice): string {
  const parts = fetched.files.map(({ name, result }) =>
    result === "absent" ? `${name} (none)` : `${name} ${result.skipped ? "present" : `${result.bytes} bytes`}`
  );
  return `${fetched.modelId} → ${fetched.dir}: ${parts.join(", ")}`;
}

if (import.meta.main) {
  const env = (name: string) => Deno.env.get(name)?.trim() || undefined;
  const ids = Deno.args.length ? Deno.args : [env("DEFAULT_MODEL") ?? "piper-en-us-lessac-medium"];
  const options: VoicesFetchOptions = {
    voicepacksDir: env("VOICEPACKS_DIR") ?? "voicepacks",
    urlTemplate: env("PIPER_VOICE_URL_TEMPLATE") ?? DEFAULT_PIPER_VOICE_URL_TEMPLATE,
  };
  const failed: string[] = [];
  for (const id of ids) {
    try {
      console.log(describe(await fetchVoice(id, options)));
    } catch (error) {
      failed.push(id);
      console.error(`voices:fetch ${id}: ${error instanceof Error ? error.message : error}`);
    }
  }
  if (failed.length) {
    console.error(`voices:fetch: ${failed.length} voice(s) failed: ${failed.join(", ")}`);
    Deno.exit(1);
  }
}
