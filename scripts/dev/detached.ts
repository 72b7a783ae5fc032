/**
 * A stack started with `--detach` keeps running after the command returns. Its runner records itself in a state file
 * (see {@linkcode stateFile}: pid, status, process groups, log path, URLs) so that `deno task dev-stop` can stop it, and
 * so that the starting command can wait for "ready" before it returns.
 *
 * @module
 */
import { repoPath } from "../setup/paths.ts";
import { groupMembers, signalGroup, statFields } from "./process_group.ts";

/** Where the detached runner keeps its state: `DEV_STACK_STATE`, else `.cache/dev/stack.json`. */
export function stateFile(): string {
  return Deno.env.get("DEV_STACK_STATE") || repoPath(".cache", "dev", "stack.json");
}

/** What the detached runner records. */
export interface DetachedState {
  pid: number;
  stack: string;
  status: "starting" | "ready" | "failed";
  log: string;
  groups: number[];
  readyLine?: string;
}

/** Reads the state file, or null when there is none (or it is unreadable). */
export function readState(path = stateFile()): DetachedState | null {
  try {
    return JSON.parse(Deno.readTextFileSync(path)) as DetachedState;
  } catch {
    return null;
  }
}

/** Writes the state file atomically (write then rename, so a reader never sees half a file). */
export function writeState(state: DetachedState, path = stateFile()): void {
  Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  const tmp = `${path}.${Deno.pid}.tmp`;
  Deno.writeTextFileSync(tmp, JSON.stringify(state, null, 2) + "\n");
  Deno.renameSync(tmp, path);
}

/** Removes the state file when it still belongs to `pid`. */
export function clearState(pid: number, path = stateFile()): void {
  if (readState(path)?.pid === pid) Deno.removeSync(path);
}

/** True while `pid` is a live (non-zombie) process. */
export function isAlive(pid: number): boolean {
  const stat = statFields(pid);
  return stat !== null && stat.state !== "Z";
}

/**
 * `dev-stop`: SIGTERM to the detached runner (which stops its services gracefully), SIGKILL to it and to every group
 * it recorded when it has not finished within `timeoutMs`. Returns a line saying what happened.
 */
export async function stopDetached(timeoutMs = 30_000, path = stateFile()): Promise<string> {
  const state = readState(path);
  if (!state) return "no detached dev stack is running";
  const alive = isAlive(state.pid);
  if (alive) {
    try {
      Deno.kill(state.pid, "SIGTERM");
    } catch { /* exited meanwhile */ }
    const deadline = Date.now() + timeoutMs;
    while (isAlive(state.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  }
  let forced = false;
  if (isAlive(state.pid)) {
    forced = true;
    try {
      Deno.kill(state.pid, "SIGKILL");
    } catch { /* exited meanwhile */ }
  }
  for (const pgid of state.groups) {
    if (groupMembers(pgid).length > 0) {
      forced = true;
      signalGroup(pgid, "SIGKILL");
    }
  }
  try {
    Deno.removeSync(path);
  } catch { /* the runner removed it */ }
  if (!alive) return `the ${state.stack} stack (pid ${state.pid}) was not running; cleaned up`;
  return forced
    ? `stopped the ${state.stack} stack (pid ${state.pid}) with SIGKILL after ${timeoutMs / 1000} s`
    : `stopped the ${state.stack} stack (pid ${state.pid}); log: ${state.log}`;
}
