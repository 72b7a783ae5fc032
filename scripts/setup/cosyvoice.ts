/**
 * The CosyVoice pieces for tests and the demo: the export venv (`.cache/cosyvoice-venv`: torch + upstream's
 * `cosyvoice-minicpmo`, from `scripts/cosyvoice/requirements*.txt`) and the reduced random-weight voicepack made by
 * `scripts/cosyvoice/export.py` with upstream's classes, for the tests. Both are built once per machine in
 * `$VOICE_CHAT_CACHE`, keyed by the hash of what makes them, and linked into the clone's `.cache/`. The pack is kept
 * out of `voicepacks/` on purpose: a worker whose `DEFAULT_MODEL` is missing serves the first installed pack, and a
 * pack that speaks noise must never be that by accident (`deno task cosyvoice:demo-voicepack` installs it on request).
 *
 * Usage: `deno run -A scripts/setup/cosyvoice.ts` (run by `deno task setup`).
 *
 * @module
 */
import { runCommand, tail } from "./exec.ts";
import { exists, linkInto, machineCacheDir, repoPath } from "./paths.ts";
import { buildVenv, requirementsHash, STAMP, stampOf } from "./venv.ts";

const REQUIREMENTS = repoPath("scripts", "cosyvoice", "requirements.txt");
const REQUIREMENTS_NODEPS = repoPath("scripts", "cosyvoice", "requirements-nodeps.txt");
/** Python modules the exporter and the parity reference import. */
const MODULES = ["torch", "transformers", "cosyvoice", "matcha", "diffusers", "onnx", "tokenizers", "hyperpyyaml"];
/** Files whose content decides the random-tiny pack. */
const EXPORT_SOURCES = ["export.py", "graphs.py", "modules.py", "tiny_tokenizer.py"].map((f) =>
  repoPath("scripts", "cosyvoice", f)
);

/** The venv path the exporter, the tests and the bench use. */
export const COSYVOICE_VENV: string = repoPath(".cache", "cosyvoice-venv");
/** The VOICEPACKS_DIR of the tests, holding only the random-tiny pack. */
export const TEST_VOICEPACKS: string = repoPath(".cache", "cosyvoice-packs");
/** The test pack (model id `cosyvoice2-random-tiny`). */
export const RANDOM_TINY_PACK: string = `${TEST_VOICEPACKS}/cosyvoice/random-tiny`;

/** Builds or links the export venv; returns the venv's hash. */
export async function ensureCosyvoiceVenv(stream: boolean): Promise<string> {
  const hash = await requirementsHash([REQUIREMENTS, REQUIREMENTS_NODEPS]);
  const cached = `${machineCacheDir()}/cosyvoice-venv-${hash}`;
  if ((await stampOf(cached)) !== hash || !(await exists(`${cached}/bin/python`))) {
    const started = performance.now();
    const problem = await buildVenv(
      cached,
      [["-r", REQUIREMENTS], ["--no-deps", "-r", REQUIREMENTS_NODEPS]],
      MODULES,
      stream,
    );
    if (problem) throw new Error(problem);
    await Deno.writeTextFile(`${cached}/${STAMP}`, hash + "\n");
    console.log(`cosyvoice venv built in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  await linkInto(cached, COSYVOICE_VENV);
  return hash;
}

/** Builds or links the random-tiny voicepack. */
export async function ensureRandomTinyPack(venvHash: string, stream: boolean): Promise<string> {
  const hash = await requirementsHash(EXPORT_SOURCES);
  const key = `${venvHash.slice(0, 8)}${hash.slice(0, 8)}`;
  const cached = `${machineCacheDir()}/cosyvoice-random-tiny-${key}`;
  if ((await stampOf(cached)) !== key || !(await exists(`${cached}/voicepack.json`))) {
    await Deno.remove(cached, { recursive: true }).catch(() => {});
    const args = [repoPath("scripts", "cosyvoice", "export.py"), "--random", "tiny", "--seed", "1", "--out", cached];
    const result = await runCommand(`${COSYVOICE_VENV}/bin/python`, args, { stream, timeoutMs: 20 * 60_000 });
    if (result.code !== 0) throw new Error(`export.py failed (exit ${result.code})\n${tail(result.output, 10)}`);
    await Deno.writeTextFile(`${cached}/${STAMP}`, key + "\n");
  }
  await linkInto(cached, RANDOM_TINY_PACK);
  // Earlier setups linked the pack into voicepacks/; take such a link out (see the module notes).
  const old = repoPath("voicepacks", "cosyvoice", "random-tiny");
  const info = await Deno.lstat(old).catch(() => null);
  if (info?.isSymlink && (await Deno.readLink(old)).includes("/cosyvoice-random-tiny-")) await Deno.remove(old);
  return `${RANDOM_TINY_PACK} -> ${cached}`;
}

if (import.meta.main) {
  const stream = Deno.env.get("VOICE_CHAT_SETUP") !== "for-tests";
  try {
    const venvHash = await ensureCosyvoiceVenv(stream);
    console.log(await ensureRandomTinyPack(venvHash, stream));
  } catch (error) {
    console.error(`cosyvoice: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
}
