/**
 * `deno task setup`: prepares a fresh Debian/Ubuntu machine for the dev stack and the tests. Idempotent: each step
 * checks first and does nothing when its piece is present.
 *
 * Steps: Debian packages (installed when root, else the exact apt-get command is printed), npm packages, the LiveKit
 * server binary, the Docker Compose plugin, the Python fixtures venv, the per-domain fixture scripts (Silero, Whisper, Piper voice) and the
 * `voices:fetch` / `models:fetch` tasks. Whatever cannot be had is reported with the fallback the stack uses.
 *
 * Flags: `--for-tests` (quiet; what the `test` task runs before every suite; skips the fetch tasks), `--quick` (the
 * same, run by the dev tasks before a stack starts, without what only the tests need: Docker and debootstrap, the
 * Compose plugin build, the CosyVoice export venv), `--no-fetch` (skip the fetch tasks), `--gpu` (also install
 * onnxruntime's CUDA provider from PyPI `onnxruntime-gpu`, see `setup/onnxruntime_gpu.ts`).
 *
 * @module
 */
import { aptPackagesFor, ensureAptPackages } from "./setup/apt.ts";
import { ensureComposePlugin } from "./setup/compose_plugin.ts";
import { domainScriptsFor, FETCH_TASKS, runDomainScript, runFetchTask } from "./setup/domain.ts";
import { runCommand, tail } from "./setup/exec.ts";
import { ensureLivekitServer } from "./setup/livekit.ts";
import { exists, repoPath } from "./setup/paths.ts";
import { formatReport, type StepResult } from "./setup/report.ts";
import { ensureFixturesVenv } from "./setup/venv.ts";
import { ensureOrtGpu } from "./setup/onnxruntime_gpu.ts";

// `--quick` is what the dev tasks run before starting a stack; it behaves like `--for-tests`, less the tests' tools.
const quick = Deno.args.includes("--quick");
const forTests = Deno.args.includes("--for-tests") || quick;
const noFetch = forTests || Deno.args.includes("--no-fetch");
const gpu = Deno.args.includes("--gpu");
const unknown = Deno.args.filter((a) => !["--for-tests", "--quick", "--no-fetch", "--gpu"].includes(a));
if (unknown.length) {
  console.error(`setup: unknown argument(s) ${unknown.join(" ")}; known: --for-tests, --quick, --no-fetch, --gpu`);
  Deno.exit(2);
}
const stream = !forTests;

async function ensureNpmPackages(): Promise<StepResult> {
  const name = "npm packages";
  if (forTests && (await exists(repoPath("node_modules", ".deno")))) {
    return { name, status: "present", detail: "node_modules" };
  }
  const result = await runCommand(Deno.execPath(), ["install", "--frozen"], {
    cwd: repoPath(),
    timeoutMs: 15 * 60_000,
  });
  if (result.code !== 0) {
    return { name, status: "left-out", detail: `deno install --frozen failed\n${tail(result.output, 10)}` };
  }
  return { name, status: "present", detail: "deno install --frozen" };
}

function step(label: string): void {
  if (!forTests) console.log(`\n== setup: ${label}`);
}

const results: StepResult[] = [];
step("Debian packages");
results.push(
  await ensureAptPackages({
    stream,
    packages: aptPackagesFor({ quick }),
  }),
);
step("npm packages");
results.push(await ensureNpmPackages());
step("LiveKit server");
results.push(await ensureLivekitServer({ stream }));
if (!quick) {
  step("docker compose plugin");
  results.push(await ensureComposePlugin({ stream }));
}
step("Python fixtures venv");
results.push(await ensureFixturesVenv({ stream }));
if (gpu) {
  step("onnxruntime CUDA provider");
  results.push(await ensureOrtGpu({ stream }));
}
for (const script of domainScriptsFor({ quick })) {
  step(script.name);
  results.push(await runDomainScript(script, { stream, forTests }));
}
if (!noFetch) {
  for (const task of FETCH_TASKS) {
    step(task);
    results.push(await runFetchTask(task, { stream }));
  }
}

const leftOut = results.filter((r) => r.status === "left-out");
if (!forTests || leftOut.length > 0 || results.some((r) => r.status === "installed")) {
  console.log("\n" + formatReport(results));
}
if (forTests && leftOut.length > 0) {
  console.log("setup: tests that need the pieces above will fail and say so; run `deno task setup` for details");
}
