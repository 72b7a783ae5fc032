/**
 * `deno task models:fetch [whisper-<name> ...] [--int8] [--url-template URL]`: downloads Whisper models in the
 * sherpa-onnx layout into `ASR_MODELS_DIR` (default `models/whisper`), with progress bars and checksums, atomically
 * (see fetch_model.ts). Without names it fetches the configured model: `ASR_MODEL_SIZE` (default tiny), as `.en`
 * when `ASR_LANGUAGE` is `en`. The source is `--url-template`, else `WHISPER_MODEL_URL_TEMPLATE`, else sherpa-onnx's
 * Hugging Face exports; the template has `{name}` (e.g. `tiny.en`) and `{file}` (e.g. `tiny.en-encoder.onnx`).
 * Exits 1 naming every model that failed, 2 on a bad argument.
 *
 * @module
 */
import { DEFAULT_WHISPER_URL_TEMPLATE, fetchWhisperModel, parseModelName } from "./fetch_model.ts";

/** Parsed command line. */
export interface FetchCommand {
  names: string[];
  int8: boolean;
  urlTemplate: string;
  modelsDir: string;
}

/** Reads arguments and environment; throws an Error with the usage problem. */
export function parseFetchCommand(args: string[], env: Record<string, string | undefined>): FetchCommand {
  const names: string[] = [];
  let int8 = false;
  let urlTemplate = env.WHISPER_MODEL_URL_TEMPLATE || DEFAULT_WHISPER_URL_TEMPLATE;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--int8") int8 = true;
    else if (arg === "--url-template" || arg.startsWith("--url-template=")) {
      const value = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : args[++i];
      if (!value) throw new Error("--url-template needs a value, e.g. https://host/{name}/{file}");
      urlTemplate = value;
    } else if (arg.startsWith("-")) throw new Error(`unknown option ${arg} (known: --int8, --url-template URL)`);
    else names.push(parseModelName(arg));
  }
  if (!urlTemplate.includes("{file}")) throw new Error(`the URL template must contain {file}: ${urlTemplate}`);
  if (names.length === 0) {
    const size = env.ASR_MODEL_SIZE || "tiny";
    names.push(parseModelName((env.ASR_LANGUAGE || "en").toLowerCase() === "en" ? `${size}.en` : size));
  }
  return { names, int8, urlTemplate, modelsDir: env.ASR_MODELS_DIR || "models/whisper" };
}

/** Runs the command; returns the exit code. */
export async function runModelsFetch(args: string[], env: Record<string, string | undefined>): Promise<number> {
  let command: FetchCommand;
  try {
    command = parseFetchCommand(args, env);
  } catch (error) {
    console.error(`models:fetch: ${error instanceof Error ? error.message : error}`);
    return 2;
  }
  const failed: string[] = [];
  for (const name of command.names) {
    try {
      const result = await fetchWhisperModel(name, command);
      console.log(`whisper-${name}: ${result.downloaded ? "downloaded to" : "already present in"} ${result.dir}`);
    } catch (error) {
      failed.push(name);
      console.error(`whisper-${name}: ${error instanceof Error ? error.message : error}`);
    }
  }
  if (failed.length) console.error(`models:fetch: failed: ${failed.map((n) => `whisper-${n}`).join(", ")}`);
  return failed.length ? 1 : 0;
}

if (import.meta.main) Deno.exit(await runModelsFetch(Deno.args, Deno.env.toObject()));
