/**
 * Fixtures of the CosyVoice tests: the random-tiny voicepack (`deno task setup` builds it with upstream's classes),
 * the export venv, and upstream's PyTorch reference outputs for that pack, made once per machine by
 * `scripts/cosyvoice/reference.py` and cached in `$VOICE_CHAT_CACHE` under the hash of everything that decides them.
 *
 * @module
 */
import { join } from "node:path";
import { machineCacheDir, repoPath } from "../../../scripts/setup/paths.ts";
import { requirementsHash } from "../../../scripts/setup/venv.ts";

/** The voicepacks root of the tests (setup links the random-tiny pack there, outside `voicepacks/`). */
export const VOICEPACKS_DIR = repoPath(".cache", "cosyvoice-packs");
/** The pack under test (model id `cosyvoice2-random-tiny`). */
export const PACK_DIR = join(VOICEPACKS_DIR, "cosyvoice", "random-tiny");
/** The test model. */
export const MODEL_ID = "cosyvoice2-random-tiny";
/** Python of the export venv. */
export const VENV_PYTHON = repoPath(".cache", "cosyvoice-venv", "bin", "python");

/** The five texts of the LLM parity test. */
export const PARITY_TEXTS = [
  "Hello there.",
  "Good morning, how are you?",
  "The weather is fine today.",
  "One fish, two fish.",
  "Please wait a moment.",
];

/** Fails with the fix when setup has not built the pack. */
export async function requirePack(): Promise<void> {
  if (!(await Deno.stat(join(PACK_DIR, "voicepack.json")).catch(() => null))) {
    throw new Error(`${PACK_DIR} is missing: run \`deno task setup\` (it builds the random-tiny pack)`);
  }
}

let made: Promise<string> | null = null;

/** The folder holding reference.json and its arrays; runs reference.py (a minute or two) when not cached. */
export function referenceDir(): Promise<string> {
  made ??= makeReference();
  return made;
}

async function makeReference(): Promise<string> {
  await requirePack();
  const sources = ["reference.py", "modules.py"].map((f) => repoPath("scripts", "cosyvoice", f));
  const hash = await requirementsHash([...sources, join(PACK_DIR, "voicepack.json")]);
  const dir = join(machineCacheDir(), `cosyvoice-reference-${hash}`);
  if (await Deno.stat(join(dir, "reference.json")).catch(() => null)) return dir;
  const partial = `${dir}.partial-${Deno.pid}`;
  const out = await new Deno.Command(VENV_PYTHON, {
    args: [
      repoPath("scripts", "cosyvoice", "reference.py"),
      "--pack",
      PACK_DIR,
      "--out",
      partial,
      "--texts-json",
      JSON.stringify(PARITY_TEXTS),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr).split("\n").slice(-15).join("\n");
    throw new Error(`reference.py failed (exit ${out.code}):\n${text}`);
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.rename(partial, dir);
  return dir;
}
