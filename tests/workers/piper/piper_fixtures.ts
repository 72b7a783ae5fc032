/**
 * Fixtures of the Piper tests: the real joe voice, the Python reference (piper-tts) and recogniser (faster-whisper)
 * in the fixtures venv, and a cache for reference outputs keyed by what they were computed from. A missing fixture
 * fails the test with the command that installs it.
 *
 * @module
 */
import { resolveRepoPath } from "../../../harness/sox.ts";
import { PiperAdapter } from "../../../workers/piper/piper_adapter.ts";
import type { PiperModel } from "../../../workers/piper/piper_model.ts";

/** The real voice every Piper test uses. */
export const JOE_MODEL_ID = "piper-en-us-joe-medium";
/** The voicepacks folder `deno task setup` fills. */
export const VOICEPACKS_DIR = resolveRepoPath("voicepacks");
/** Its model file. */
export const JOE_ONNX = `${VOICEPACKS_DIR}/piper/en-us-joe-medium/en_US-joe-medium.onnx`;
/** The fixtures venv's Python. */
export const VENV_PYTHON = resolveRepoPath(".cache/venv/bin/python");

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Throws the setup hint unless the joe voicepack is installed. */
export async function requireJoeVoice(): Promise<void> {
  if (!(await exists(JOE_ONNX)) || !(await exists(`${JOE_ONNX}.json`))) {
    throw new Error(`the Piper test voice is missing (${JOE_ONNX}): run \`deno task setup\``);
  }
}

/** Throws the setup hint unless the fixtures venv exists. */
export async function requireVenv(): Promise<string> {
  if (!(await exists(VENV_PYTHON))) {
    throw new Error(`the Python fixtures venv is missing (${VENV_PYTHON}): run \`deno task setup\``);
  }
  return VENV_PYTHON;
}

/** Runs a Python script of the repo in the venv; returns stdout, throws with stderr's tail on failure. */
export async function runPython(script: string, args: string[], stdin = ""): Promise<string> {
  const python = await requireVenv();
  const child = new Deno.Command(python, {
    args: [resolveRepoPath(script), ...args],
    cwd: resolveRepoPath(""),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const out = await child.output();
  if (!out.success) {
    throw new Error(`${script} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr).slice(-1500)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** JSON lines of a Python output. */
export function jsonLines<T>(text: string): T[] {
  return text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as T);
}

/** Hex SHA-256 of the given strings and files, for cache keys. */
export async function fingerprint(parts: string[], files: string[] = []): Promise<string> {
  const contents = await Promise.all(files.map((f) => Deno.readFile(f)));
  const bytes = [...parts.map((p) => new TextEncoder().encode(p)), ...contents];
  const total = new Uint8Array(bytes.reduce((n, b) => n + b.length + 1, 0));
  let offset = 0;
  for (const b of bytes) {
    total.set(b, offset);
    offset += b.length + 1;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", total));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, 16);
}

/** Returns `.cache/piper-tests/<name>` when present, else computes it with `make` and stores it. */
export async function cachedText(name: string, make: () => Promise<string>): Promise<string> {
  const path = resolveRepoPath(`.cache/piper-tests/${name}`);
  const hit = await Deno.readTextFile(path).catch(() => null);
  if (hit !== null) return hit;
  const text = await make();
  await Deno.mkdir(resolveRepoPath(".cache/piper-tests"), { recursive: true });
  await Deno.writeTextFile(`${path}.partial`, text);
  await Deno.rename(`${path}.partial`, path);
  return text;
}

/** Loads the joe voice on the CPU with one thread. Dispose the model after use. */
export async function loadJoe(): Promise<{ adapter: PiperAdapter; model: PiperModel }> {
  await requireJoeVoice();
  const adapter = new PiperAdapter({ voicepacksDir: VOICEPACKS_DIR, device: "cpu", intraOpThreads: 1 });
  const model = await adapter.load(JOE_MODEL_ID) as PiperModel;
  return { adapter, model };
}

/** Text pieces for one whole text. */
export async function* oneText(text: string): AsyncGenerator<{ text: string; start: number; end: number }> {
  yield { text, start: 0, end: text.length };
}

/** Root-mean-square of 16-bit samples, as a fraction of full scale. */
export function rms(pcm: Int16Array): number {
  let sum = 0;
  for (const s of pcm) sum += s * s;
  return pcm.length ? Math.sqrt(sum / pcm.length) / 32768 : 0;
}
