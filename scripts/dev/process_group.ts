/**
 * Process groups: every service runs in its own session and group (spawned `detached`), so one signal reaches the
 * service and everything it started (`deno task` → `deno run` → helpers), and nothing is left behind as an orphan.
 *
 * @module
 */

/** Sends `signal` to every process in group `pgid`; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: Deno.Signal): boolean {
  try {
    Deno.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Live (non-zombie) processes whose process group is `pgid`, read from /proc (Linux; Deno grants /proc only with
 * --allow-all). Without /proc it falls back to a signal probe, which cannot tell zombies from live processes.
 */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  let entries: Iterable<Deno.DirEntry>;
  try {
    entries = Deno.readDirSync("/proc");
  } catch {
    // SIGCONT is harmless to a running process; it fails only when no process is left in the group.
    return signalGroup(pgid, "SIGCONT") ? [pgid] : [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry.name)) continue;
    const fields = statFields(Number(entry.name));
    if (fields && fields.pgrp === pgid && fields.state !== "Z") members.push(Number(entry.name));
  }
  return members;
}

/** State, parent and group of a process from `/proc/<pid>/stat`, or null when it is gone. */
export function statFields(pid: number): { state: string; ppid: number; pgrp: number; sid: number } | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The command name (field 2) may contain spaces and parentheses; the fields after the last ")" are fixed.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: rest[0], ppid: Number(rest[1]), pgrp: Number(rest[2]), sid: Number(rest[3]) };
  } catch {
    return null;
  }
}

/** Waits until group `pgid` has no live process, up to `timeoutMs`; true when it emptied in time. */
export async function waitGroupEmpty(pgid: number, timeoutMs: number, pollMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (groupMembers(pgid).length === 0) return true;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return groupMembers(pgid).length === 0;
}

/**
 * Stops a group gracefully: SIGTERM, then SIGKILL for whatever is still alive after `timeoutMs`.
 * Returns "terminated" or "killed".
 */
export async function stopGroup(pgid: number, timeoutMs: number): Promise<"terminated" | "killed"> {
  signalGroup(pgid, "SIGTERM");
  if (await waitGroupEmpty(pgid, timeoutMs)) return "terminated";
  signalGroup(pgid, "SIGKILL");
  await waitGroupEmpty(pgid, 5000);
  return "killed";
}
