/**
 * Drives the dev runner (`scripts/dev/main.ts`) as a real child process for tests: collects its output lines, waits
 * for patterns, sends signals, and checks that no process it started is left alive.
 *
 * @module
 */
import { statFields } from "../../scripts/dev/process_group.ts";

const MAIN = new URL("../../scripts/dev/main.ts", import.meta.url).pathname;
const STACK = new URL("./fixtures/stack.ts", import.meta.url).pathname;
/** The repository root (the runner's working directory). */
export const REPO = new URL("../../", import.meta.url).pathname;

/** A fake service for `tests/dev/fixtures/stack.ts`. */
export interface FakeService {
  name: string;
  port?: number;
  deps?: string[];
  env?: Record<string, string>;
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
}

/** A running runner process and its output. */
export class RunnerProcess {
  readonly lines: string[] = [];
  readonly #child: Deno.ChildProcess;
  readonly #done: Promise<Deno.CommandStatus>;
  #waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];

  constructor(args: string[], env: Record<string, string>, options: { newSession?: boolean } = {}) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args,
      env: { NO_COLOR: "1", ...env },
      cwd: REPO,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      detached: options.newSession ?? false,
    }).spawn();
    const pumps = [this.#child.stdout, this.#child.stderr].map(async (stream) => {
      let pending = "";
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        pending += chunk;
        let at: number;
        while ((at = pending.indexOf("\n")) >= 0) {
          this.#push(pending.slice(0, at));
          pending = pending.slice(at + 1);
        }
      }
      if (pending) this.#push(pending);
    });
    this.#done = Promise.all(pumps).then(() => this.#child.status);
  }

  /** Runs `main.ts <target> --definitions fixtures/stack.ts` with the given fake services. */
  static fakeStack(
    services: FakeService[],
    extraArgs: string[] = [],
    env: Record<string, string> = {},
  ): RunnerProcess {
    return new RunnerProcess(
      ["run", "--no-prompt", "--allow-all", MAIN, "fake", "--definitions", STACK, ...extraArgs],
      { FAKE_STACK: JSON.stringify(services), ...env },
    );
  }

  /** Runs `main.ts` with raw arguments (e.g. `stop`, a single service). */
  static main(args: string[], env: Record<string, string> = {}, options: { newSession?: boolean } = {}): RunnerProcess {
    return new RunnerProcess(["run", "--no-prompt", "--allow-all", MAIN, ...args], env, options);
  }

  #push(line: string): void {
    this.lines.push(line);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.pattern.test(line)) return true;
      w.resolve(line);
      return false;
    });
  }

  /** The runner's pid. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Resolves with the first line matching `pattern` (already seen or future); rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    const seen = this.lines.find((l) => pattern.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    const { promise, resolve, reject } = Promise.withResolvers<string>();
    const timer = setTimeout(() => {
      this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
      reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; output:\n${this.lines.join("\n")}`));
    }, timeoutMs);
    const done = (line: string) => {
      clearTimeout(timer);
      resolve(line);
    };
    this.#waiters.push({ pattern, resolve: done });
    this.#done.then(() => {
      if (this.#waiters.some((w) => w.resolve === done)) {
        clearTimeout(timer);
        reject(new Error(`runner exited before a line matching ${pattern}; output:\n${this.lines.join("\n")}`));
      }
    });
    return promise;
  }

  /** Sends a signal to the runner (or, with `group`, to its whole process group, like a terminal's Ctrl+C). */
  signal(signal: Deno.Signal, options: { group?: boolean } = {}): void {
    try {
      Deno.kill(options.group ? -this.#child.pid : this.#child.pid, signal);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error; // already exited
    }
  }

  /** Waits for the runner to exit; SIGKILLs it after `timeoutMs` so a test never hangs. */
  async exit(timeoutMs = 60_000): Promise<Deno.CommandStatus> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killer = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        try {
          this.#child.kill("SIGKILL");
        } catch { /* gone */ }
        resolve();
      }, timeoutMs);
    });
    await Promise.race([this.#done, killer]);
    clearTimeout(timer);
    return await this.#done;
  }

  /** Lines the runner itself printed (prefix `dev |`), without the prefix. */
  get runnerLines(): string[] {
    return this.lines.filter((l) => /^dev\s+\| /.test(l)).map((l) => l.replace(/^dev\s+\| /, ""));
  }

  /** Pids the fake services printed ("<name> starting pid=N", "<name> grandchild pid=N"). */
  get reportedPids(): number[] {
    return this.lines.flatMap((l) => [...l.matchAll(/\bpid=(\d+)/g)].map((m) => Number(m[1])));
  }
}

/** True while `pid` is a live (non-zombie) process. */
export function isRunning(pid: number): boolean {
  const stat = statFields(pid);
  return stat !== null && stat.state !== "Z";
}

/** Every live descendant of `pid` (children, grandchildren, …), read from /proc. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const stat = statFields(Number(entry.name));
    if (!stat || stat.state === "Z") continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(Number(entry.name));
    children.set(stat.ppid, list);
  }
  const found: number[] = [];
  const stack = [pid];
  while (stack.length) {
    for (const child of children.get(stack.pop()!) ?? []) {
      found.push(child);
      stack.push(child);
    }
  }
  return found;
}

/** Waits until none of `pids` runs (up to `timeoutMs`); returns those still running. */
export async function survivors(pids: number[], timeoutMs = 5000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = pids.filter(isRunning);
  while (alive.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    alive = alive.filter(isRunning);
  }
  return alive;
}

/** Kills leftovers so one failing test does not leak processes into the next. */
export function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone */ }
  }
}
