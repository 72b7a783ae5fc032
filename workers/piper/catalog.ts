/**
 * The Piper voices on disk: `<VOICEPACKS_DIR>/piper/<voice>/` with one `<name>.onnx` and its `<name>.onnx.json`
 * (and MODEL_CARD when the voice ships one). Model ids are `piper-<voice folder>`, e.g. `piper-en-us-joe-medium`.
 *
 * @module
 */
import { join } from "node:path";
import { isModelId } from "../../shared/config/fields.ts";
import { MODEL_ID_PREFIX } from "../runtime/adapter.ts";

/** Where one voice's files are. */
export interface VoiceFiles {
  modelId: string;
  dir: string;
  onnx: string;
  config: string;
  modelCard?: string;
}

/** The folder holding every Piper voicepack. */
export function piperRoot(voicepacksDir: string): string {
  return join(voicepacksDir, "piper");
}

/**
 * The voicepack folder of `modelId` (which must start with `piper-`). Throws for an id that is not a plain name
 * (a slash or `..` would lead outside the voicepacks folder).
 */
export function voiceDir(voicepacksDir: string, modelId: string): string {
  if (!isModelId(modelId)) throw new Error(`model id ${JSON.stringify(modelId.slice(0, 80))} is not a valid model id`);
  return join(piperRoot(voicepacksDir), modelId.slice(MODEL_ID_PREFIX.piper.length));
}

/** Why a folder is not a usable voice, or its files. */
export type VoiceLookup = { files: VoiceFiles } | { problem: string };

/** Finds the `.onnx` / `.onnx.json` pair in a voice folder. */
export async function findVoiceFiles(voicepacksDir: string, modelId: string): Promise<VoiceLookup> {
  if (!isModelId(modelId)) {
    return { problem: `model id ${JSON.stringify(modelId.slice(0, 80))} is not a valid model id` };
  }
  const dir = voiceDir(voicepacksDir, modelId);
  let names: string[];
  try {
    names = (await Array.fromAsync(Deno.readDir(dir))).filter((e) => !e.isDirectory).map((e) => e.name).sort();
  } catch {
    return { problem: `no voice folder ${dir}` };
  }
  const onnx = names.filter((n) => n.endsWith(".onnx"));
  if (onnx.length === 0) return { problem: `${dir} has no .onnx file` };
  if (onnx.length > 1) return { problem: `${dir} has several .onnx files (${onnx.join(", ")}); keep one` };
  if (!names.includes(`${onnx[0]}.json`)) return { problem: `${dir} has ${onnx[0]} but not ${onnx[0]}.json` };
  return {
    files: {
      modelId,
      dir,
      onnx: join(dir, onnx[0]),
      config: join(dir, `${onnx[0]}.json`),
      ...(names.includes("MODEL_CARD") ? { modelCard: join(dir, "MODEL_CARD") } : {}),
    },
  };
}

/** Model ids of every folder under `<voicepacksDir>/piper/`, complete or not, sorted. */
export async function listVoiceFolders(voicepacksDir: string): Promise<string[]> {
  try {
    const entries = await Array.fromAsync(Deno.readDir(piperRoot(voicepacksDir)));
    return entries.filter((e) => e.isDirectory).map((e) => `${MODEL_ID_PREFIX.piper}${e.name}`).sort();
  } catch {
    return [];
  }
}

/** Model ids of the voices whose folder holds a complete `.onnx` / `.onnx.json` pair, sorted. */
export async function listInstalledVoices(voicepacksDir: string): Promise<string[]> {
  const installed: string[] = [];
  for (const id of await listVoiceFolders(voicepacksDir)) {
    if ("files" in await findVoiceFiles(voicepacksDir, id)) installed.push(id);
  }
  return installed;
}
