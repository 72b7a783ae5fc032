/**
 * Downloads a Whisper model in the sherpa-onnx whisper layout (`<name>-encoder.onnx`, `<name>-decoder.onnx`,
 * `<name>-tokens.txt`, optionally the `.int8.onnx` pair) into `<modelsDir>/<name>/`.
 *
 * Files come from a URL template with `{name}` and `{file}` (default: the sherpa-onnx exports on Hugging Face).
 * Checksums: a `manifest.json` next to the files (what our converter writes, for mirrors of converted models) gives
 * each file's SHA-256 and size; without one, the SHA-256 the server declares (Hugging Face's LFS ETag) is checked.
 * Atomic: everything lands in a staging folder, is verified (including the encoder's metadata), and only then
 * replaces `<modelsDir>/<name>/`. A folder whose files match their recorded hashes is left alone.
 *
 * @module
 */
import { DownloadError, downloadFile, sha256File } from "../../../shared/fetch/mod.ts";
import { readModelInfo, type WhisperModelFiles } from "./model_info.ts";

/** sherpa-onnx's Whisper exports on Hugging Face (csukuangfj/sherpa-onnx-whisper-<name>). */
export const DEFAULT_WHISPER_URL_TEMPLATE =
  "https://huggingface.co/csukuangfj/sherpa-onnx-whisper-{name}/resolve/main/{file}";

/** Model names the fetcher knows (`whisper-<name>` on the command line). */
export const FETCHABLE_MODELS = [
  "tiny",
  "tiny.en",
  "base",
  "base.en",
  "small",
  "small.en",
  "medium",
  "medium.en",
] as const;

/** Where and how to fetch. */
export interface FetchModelOptions {
  modelsDir: string;
  urlTemplate?: string;
  /** Also fetch the int8 graphs. */
  int8?: boolean;
  /** Progress per file (default: bars on stderr; null: silent). */
  onProgress?: ((file: string, received: number, total: number | undefined) => void) | null;
}

/** What a fetch did. */
export interface FetchedModel {
  name: string;
  dir: string;
  /** False when a verified copy was already there. */
  downloaded: boolean;
  files: string[];
}

interface ManifestEntry {
  bytes: number;
  sha256: string;
}

/** `tiny.en` for `whisper-tiny.en` or `tiny.en`; throws naming the accepted names. */
export function parseModelName(arg: string): string {
  const name = arg.replace(/^whisper-/, "");
  if (!(FETCHABLE_MODELS as readonly string[]).includes(name)) {
    throw new Error(`unknown Whisper model "${arg}": use whisper-<${FETCHABLE_MODELS.join("|")}>`);
  }
  return name;
}

function fileNames(name: string, int8: boolean): string[] {
  const onnx = int8 ? [".onnx", ".int8.onnx"] : [".onnx"];
  return [`${name}-tokens.txt`, ...onnx.flatMap((s) => [`${name}-encoder${s}`, `${name}-decoder${s}`])];
}

function urlFor(template: string, name: string, file: string): string {
  if (!template.includes("{file}")) throw new Error(`the Whisper URL template must contain {file}: ${template}`);
  return template.replaceAll("{name}", name).replaceAll("{file}", file);
}

async function fetchManifest(template: string, name: string): Promise<Record<string, ManifestEntry> | undefined> {
  const url = urlFor(template, name, "manifest.json");
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new DownloadError(url, `cannot connect (${error instanceof Error ? error.message : error})`);
  }
  if (response.status === 404) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new DownloadError(url, `HTTP ${response.status}`);
  }
  const manifest = await response.json().catch(() => undefined);
  if (!manifest?.files || typeof manifest.files !== "object") throw new DownloadError(url, "not a model manifest");
  return manifest.files;
}

/**
 * True when every file is present and matches its recorded SHA-256: the `.sha256` sidecar a download leaves, or the
 * `manifest.json` of a model our converter built here (setup's tiny.en is never replaced by a download).
 */
async function isComplete(dir: string, files: string[]): Promise<boolean> {
  const built: Record<string, ManifestEntry> | undefined = await Deno.readTextFile(`${dir}/manifest.json`)
    .then((t) => JSON.parse(t).files, () => undefined);
  for (const file of files) {
    const recorded = built?.[file]?.sha256 ??
      await Deno.readTextFile(`${dir}/${file}.sha256`).then((t) => t.trim(), () => undefined);
    if (!recorded || (await sha256File(`${dir}/${file}`).catch(() => "")) !== recorded) return false;
  }
  return true;
}

/** Downloads (or confirms) one model; throws DownloadError / Error naming the file and the problem. */
export async function fetchWhisperModel(name: string, options: FetchModelOptions): Promise<FetchedModel> {
  const template = options.urlTemplate ?? DEFAULT_WHISPER_URL_TEMPLATE;
  const files = fileNames(name, options.int8 ?? false);
  const dir = `${options.modelsDir}/${name}`;
  if (await isComplete(dir, files)) return { name, dir, downloaded: false, files };

  const manifest = await fetchManifest(template, name);
  await Deno.mkdir(options.modelsDir, { recursive: true });
  const staging = await Deno.makeTempDir({ dir: options.modelsDir, prefix: `.fetch-${name}-` });
  try {
    for (const file of files) {
      const entry = manifest?.[file];
      if (manifest && !entry) {
        throw new Error(`the manifest at ${urlFor(template, name, "manifest.json")} lists no ${file}`);
      }
      const progress = options.onProgress;
      await downloadFile({
        url: urlFor(template, name, file),
        dest: `${staging}/${file}`,
        sha256: entry?.sha256,
        expectedSize: entry?.bytes,
        label: `whisper-${name} ${file}`,
        onProgress: progress === null ? null : progress ? (r, t) => progress(file, r, t) : undefined,
      });
    }
    const paths: WhisperModelFiles = {
      name,
      dir: staging,
      encoder: `${staging}/${name}-encoder.onnx`,
      decoder: `${staging}/${name}-decoder.onnx`,
      tokens: `${staging}/${name}-tokens.txt`,
    };
    await readModelInfo(paths); // a file that is not a sherpa-onnx whisper encoder fails here, before it is installed
    await replaceDir(staging, dir);
  } catch (error) {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    throw error;
  }
  return { name, dir, downloaded: true, files };
}

/** Puts `source` at `target`, replacing an old folder in two renames (never a half-written target). */
async function replaceDir(source: string, target: string): Promise<void> {
  const old = `${target}.old-${crypto.randomUUID().slice(0, 8)}`;
  const hadOld = await Deno.rename(target, old).then(() => true, () => false);
  await Deno.rename(source, target);
  if (hadOld) await Deno.remove(old, { recursive: true });
}
