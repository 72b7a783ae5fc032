/**
 * Setup steps owned by other parts of the system: the per-domain fixture scripts (Silero VAD, Whisper weights, the Piper
 * voice) and the `voices:fetch` / `models:fetch` tasks. Setup runs each one that exists and reports the rest.
 *
 * @module
 */
import { runCommand, tail } from "./exec.ts";
import { exists, repoPath } from "./paths.ts";
import type { StepResult } from "./report.ts";

/** A per-domain setup script and what the stack does without its result. */
export interface DomainScript {
  /** Report name. */
  name: string;
  /** Path relative to the repository root. */
  file: string;
  /** Behaviour without it. */
  fallback: string;
  /** Needed by the tests only: the dev tasks (`--quick`) skip it. */
  testsOnly?: boolean;
}

/** The per-domain scripts, in the order they run. */
export const DOMAIN_SCRIPTS: readonly DomainScript[] = [
  { name: "silero vad", file: "scripts/setup/silero.ts", fallback: "the orchestrator cannot detect speech" },
  { name: "whisper model", file: "scripts/setup/whisper_model.ts", fallback: "ASR falls back to pocketsphinx" },
  { name: "piper voice (joe)", file: "scripts/setup/voice_joe.ts", fallback: "no voice: the mock adapter speaks" },
  {
    name: "cosyvoice venv + random-tiny pack",
    file: "scripts/setup/cosyvoice.ts",
    fallback: "no CosyVoice parity tests or demo pack (the worker falls back to mock)",
    testsOnly: true,
  },
  { name: "web client", file: "web/build.ts", fallback: "no page: use `deno task client <wav>` instead" },
];

/** The per-domain scripts one setup mode runs: the dev tasks' `--quick` leaves out the tests-only ones. */
export function domainScriptsFor(options: { quick: boolean }): readonly DomainScript[] {
  return options.quick ? DOMAIN_SCRIPTS.filter((s) => !s.testsOnly) : DOMAIN_SCRIPTS;
}

/** The fetch tasks run in a full setup (they may reach the network for configured voices and models). */
export const FETCH_TASKS: readonly string[] = ["voices:fetch", "models:fetch"];

/**
 * Runs one per-domain script with `deno run -A`. The script learns the mode from `VOICE_CHAT_SETUP`
 * (`for-tests` or `full`); its last output line becomes the report detail.
 */
export async function runDomainScript(
  script: DomainScript,
  options: { stream: boolean; forTests: boolean },
): Promise<StepResult> {
  const path = repoPath(script.file);
  if (!(await exists(path))) {
    return {
      name: script.name,
      status: "left-out",
      detail: `${script.file} does not exist yet`,
      fallback: script.fallback,
    };
  }
  const result = await runCommand(Deno.execPath(), ["run", "-A", path], {
    stream: options.stream,
    cwd: repoPath(),
    env: { VOICE_CHAT_SETUP: options.forTests ? "for-tests" : "full" },
    timeoutMs: 20 * 60_000,
  });
  if (result.code !== 0) {
    return {
      name: script.name,
      status: "left-out",
      detail: `${script.file} failed (exit ${result.code})\n${tail(result.output, 10)}`,
      fallback: script.fallback,
    };
  }
  const last = tail(result.output, 1).trim();
  return { name: script.name, status: "present", detail: last || script.file };
}

/** Names of the tasks in deno.json. */
export async function denoTasks(): Promise<Set<string>> {
  const config = JSON.parse(await Deno.readTextFile(repoPath("deno.json")));
  return new Set(Object.keys(config.tasks ?? {}));
}

/** Runs a fetch task when deno.json defines it; a failure (offline, hub unreachable) is reported, not fatal. */
export async function runFetchTask(task: string, options: { stream: boolean }): Promise<StepResult> {
  if (!(await denoTasks()).has(task)) {
    return { name: task, status: "left-out", detail: "task not defined yet", fallback: "only bundled voices/models" };
  }
  const result = await runCommand(Deno.execPath(), ["task", task], {
    stream: options.stream,
    cwd: repoPath(),
    timeoutMs: 15 * 60_000,
  });
  if (result.code !== 0) {
    return {
      name: task,
      status: "left-out",
      detail: `exit ${result.code}${result.output ? "\n" + tail(result.output, 6) : ""}`,
      fallback: "only bundled voices/models",
    };
  }
  return { name: task, status: "present", detail: tail(result.output, 1).trim() || "done" };
}
