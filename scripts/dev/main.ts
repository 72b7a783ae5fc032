/**
 * The dev process runner behind `deno task dev`, `dev-agent-piper`, `dev-agent-mock`, `redis`, `livekit`, `caddy`
 * and `dev-stop`.
 *
 * Usage: `main.ts <stack|service> [--detach]`, `main.ts stop`.
 * - Starts the services in parallel, each after its dependencies are healthy; output is prefixed per service and
 *   also written with timestamps to `logs/dev-sessions/<stack>-YYYYMMDD-HHMMSS.log`.
 * - Prints one `ready` line with the URLs when every service is healthy.
 * - Ctrl+C (SIGINT), SIGTERM or SIGHUP stops everything gracefully (SIGTERM, then SIGKILL after a timeout); a second
 *   Ctrl+C kills at once. A service that dies stops the stack, shows its last lines and exits non-zero.
 * - `--detach` returns once the stack is ready and leaves it running; `main.ts stop` (`deno task dev-stop`) stops it.
 * - `--definitions <module>` runs the stack a module's `plan(env)` returns instead (used by the runner's tests).
 *
 * `.env` is read at start (the real environment wins); configuration changes need a restart.
 *
 * @module
 */
import { parseEnv } from "node:util";
import { repoPath } from "../setup/paths.ts";
import { clearState, type DetachedState, isAlive, readState, stopDetached, writeState } from "./detached.ts";
import { sessionLogName, StackOutput } from "./output.ts";
import { missingTasks, planStack, type StackPlan } from "./plan.ts";
import { Supervisor } from "./supervisor.ts";

/**
 * The permissions the runner runs with (the deno.json tasks use the same). The runner launches other programs, so
 * `--allow-run` already makes it fully trusted; `--allow-all` is required in any case because Deno grants reading
 * `/proc` (how the runner proves that no process of a stopped service is left) only with it.
 */
export const RUNNER_PERMISSIONS: readonly string[] = ["--no-prompt", "--allow-all"];

/** A second Ctrl+C within this time is the same keypress delivered twice (terminal + `deno task`). */
const REPEAT_SIGNAL_MS = 1500;

interface Args {
  target: string;
  detach: boolean;
  child: boolean;
  logFile?: string;
  definitions?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { target: "", detach: false, child: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") throw new HelpRequested();
    else if (a === "--detach") args.detach = true;
    else if (a === "--child") args.child = true;
    else if (a === "--log-file") args.logFile = argv[++i];
    else if (a === "--definitions") args.definitions = argv[++i];
    else if (a.startsWith("-")) throw new Error(`unknown option ${a}; known: --detach`);
    else if (!args.target) args.target = a;
    else throw new Error(`unexpected argument ${a}`);
  }
  if (!args.target) throw new Error(USAGE);
  return args;
}

const USAGE = "usage: deno task <dev|dev-agent-piper|dev-agent-mock|redis|livekit|caddy> [--detach]; " +
  "deno task dev-stop stops a detached stack";

class HelpRequested extends Error {}

/** Fills unset variables from `.env` (the real environment wins, as with `--env-file`). */
function loadDotEnv(): void {
  let text: string;
  try {
    text = Deno.readTextFileSync(repoPath(".env"));
  } catch {
    return;
  }
  for (const [key, value] of Object.entries(parseEnv(text))) {
    if (value !== undefined && Deno.env.get(key) === undefined) Deno.env.set(key, value);
  }
}

async function loadPlan(args: Args): Promise<StackPlan> {
  const env = Deno.env.toObject();
  if (!args.definitions) {
    const plan = await planStack(args.target, env);
    const missing = await missingTasks(plan);
    if (missing.length) throw new Error(`deno.json has no ${missing.join(", ")} task yet; ${plan.name} needs it`);
    return plan;
  }
  const module = await import(new URL(args.definitions, `file://${Deno.cwd()}/`).href);
  return await module.plan(env, args.target);
}

/** Starts this same runner in its own session and waits until its state file says ready (or it dies). */
async function startDetached(args: Args, plan: StackPlan, logPath: string): Promise<number> {
  const existing = readState();
  if (existing && isAlive(existing.pid)) {
    console.error(`a detached ${existing.stack} stack is running (pid ${existing.pid}); stop it: deno task dev-stop`);
    return 1;
  }
  const childArgs = [
    "run",
    ...RUNNER_PERMISSIONS,
    new URL(import.meta.url).pathname,
    args.target,
    "--child",
    "--log-file",
    logPath,
    ...(args.definitions ? ["--definitions", args.definitions] : []),
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args: childArgs,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  child.unref();
  console.log(`starting ${plan.name} in the background (pid ${child.pid}); log: ${logPath}`);
  const deadline = Date.now() + 15 * 60_000;
  while (Date.now() < deadline) {
    const state = readState();
    if (state?.pid === child.pid && state.status === "ready") {
      console.log(state.readyLine);
      console.log("stop it with: deno task dev-stop");
      return 0;
    }
    if (!isAlive(child.pid) || (state?.pid === child.pid && state.status === "failed")) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const tail = await Deno.readTextFile(logPath).then((t) => t.trimEnd().split("\n").slice(-25)).catch(() => []);
  console.error(`the ${plan.name} stack did not come up; last log lines:\n${tail.join("\n")}`);
  if (isAlive(child.pid)) console.error(await stopDetached(10_000));
  return 1;
}

async function run(args: Args): Promise<number> {
  const started = performance.now();
  const plan = await loadPlan(args);
  const logPath = args.logFile ?? repoPath(sessionLogName(plan.name));
  if (args.detach && !args.child) return await startDetached(args, plan, logPath);

  const output = new StackOutput(["dev", ...plan.services.map((s) => s.name)], logPath, { console: !args.child });
  const state: DetachedState = { pid: Deno.pid, stack: plan.name, status: "starting", log: logPath, groups: [] };
  const saveState = () => args.child && writeState(state);
  saveState();
  for (const note of plan.notes) output.line("dev", note);
  for (const piece of plan.leftOut) output.line("dev", `left out: ${piece}`);
  output.line("dev", `log: ${logPath}`);

  const supervisor = new Supervisor(plan.services, output);
  supervisor.onSpawn = (_name, pgid) => {
    state.groups.push(pgid);
    saveState();
  };

  const stopRequest = Promise.withResolvers<string>();
  let firstSignalAt = 0;
  let stopping: Promise<void> | null = null;
  const onSignal = (signal: Deno.Signal) => () => {
    const now = Date.now();
    if (firstSignalAt === 0) {
      firstSignalAt = now;
      stopRequest.resolve(signal);
    } else if (now - firstSignalAt > REPEAT_SIGNAL_MS && stopping) {
      output.line("dev", `${signal} again: killing every service now`);
      supervisor.stop({ force: true });
    }
  };
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  const handlers = signals.map((s) => [s, onSignal(s)] as const);
  for (const [s, h] of handlers) Deno.addSignalListener(s, h);

  let exitCode = 0;
  try {
    const outcome = await Promise.race([
      supervisor.start().then((ok) => ok ? "ready" : "failed"),
      stopRequest.promise.then((s) => `signal:${s}`),
    ]);
    let failureOrSignal: Promise<string> = stopRequest.promise.then((s) => `signal:${s}`);
    if (outcome === "ready") {
      const secs = ((performance.now() - started) / 1000).toFixed(1);
      const urls = plan.urls.map(([label, url]) => `${label} ${url}`).join(" | ");
      state.readyLine = `ready in ${secs} s: ${urls}${urls ? " | " : ""}log ${logPath}`;
      output.line("dev", state.readyLine);
      state.status = "ready";
      saveState();
      failureOrSignal = Promise.race([failureOrSignal, supervisor.failure.then(() => "failed")]);
    } else if (outcome === "failed") {
      failureOrSignal = Promise.resolve("failed");
    } else {
      failureOrSignal = Promise.resolve(outcome);
    }

    const end = await failureOrSignal;
    if (end === "failed") {
      exitCode = 1;
      state.status = "failed";
      saveState();
      const failure = await supervisor.failure;
      output.line("dev", `${failure.name} ${failure.reason}; stopping the stack. Last lines of ${failure.name}:`);
      for (const line of output.recentLines(failure.name)) output.line("dev", `  ${failure.name} | ${line}`);
    } else {
      output.line("dev", `${end.slice("signal:".length)}: stopping every service (Ctrl+C again to kill at once)`);
    }
  } catch (error) {
    // A bug in the runner must not leave the services running without a supervisor.
    exitCode = 1;
    output.line("dev", `runner error: ${error instanceof Error ? error.stack ?? error.message : error}; stopping`);
  }
  stopping = supervisor.stop();
  await stopping;
  output.line("dev", exitCode === 0 ? "stopped" : "stopped after a failure");
  for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
  output.close();
  if (args.child) clearState(Deno.pid);
  return exitCode;
}

if (import.meta.main) {
  let code: number;
  try {
    loadDotEnv();
    const args = Deno.args[0] === "stop" ? null : parseArgs(Deno.args);
    if (args === null) {
      console.log(await stopDetached());
      code = 0;
    } else {
      code = await run(args);
    }
  } catch (error) {
    if (error instanceof HelpRequested) {
      console.log(USAGE);
      code = 0;
    } else {
      console.error(`dev: ${error instanceof Error ? error.message : error}`);
      code = 1;
    }
  }
  Deno.exit(code);
}
