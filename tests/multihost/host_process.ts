/**
 * A service process running on one test host (`ip netns exec`), with its output kept for failure messages.
 *
 * @module
 */
import type { TestNetwork } from "./netns.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** One process on one test host. */
export class HostProcess {
  readonly status: Promise<Deno.CommandStatus>;
  readonly #child: Deno.ChildProcess;
  readonly #collectors: Promise<void>[] = [];
  #lines: string[] = [];
  #times: number[] = [];
  #exited = false;

  private constructor(readonly label: string, child: Deno.ChildProcess) {
    this.#child = child;
    this.status = child.status.then((status) => {
      this.#exited = true;
      return status;
    });
    this.#collect(child.stdout);
    this.#collect(child.stderr);
  }

  /** Starts `argv` on `host` from the repository root, with `env` over this process's environment. */
  static spawn(
    net: TestNetwork,
    host: string,
    label: string,
    argv: string[],
    env: Record<string, string> = {},
  ): HostProcess {
    const [bin, ...args] = net.wrap(host, argv);
    const child = new Deno.Command(bin, {
      args,
      cwd: ROOT,
      env: { NO_COLOR: "1", ...env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return new HostProcess(`${label}@${host}`, child);
  }

  /** Process id (`ip netns exec` execs the command, so this is the service itself). */
  get pid(): number {
    return this.#child.pid;
  }

  /** True once the process has exited. */
  get exited(): boolean {
    return this.#exited;
  }

  /** Everything the process printed (both streams, newest last), for assertions on logs. */
  get output(): string {
    return this.#lines.join("\n");
  }

  /** When the first line matching `pattern` arrived (performance.now()), or null. */
  lineTime(pattern: RegExp, after = 0): number | null {
    for (let i = 0; i < this.#lines.length; i++) {
      if (this.#times[i] >= after && pattern.test(this.#lines[i])) return this.#times[i];
    }
    return null;
  }

  /** The last lines it printed, labelled, for failure messages. */
  tail(lines = 30): string {
    return `--- ${this.label} ---\n${this.#lines.slice(-lines).join("\n")}`;
  }

  /** Resident set size in KiB from /proc, or 0 once gone. */
  rssKiB(): number {
    try {
      const status = Deno.readTextFileSync(`/proc/${this.pid}/status`);
      return Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
    } catch {
      return 0;
    }
  }

  /** CPU time used so far (user + system) in seconds, from /proc, or 0 once gone. */
  cpuSeconds(): number {
    try {
      const fields = Deno.readTextFileSync(`/proc/${this.pid}/stat`).split(") ")[1].split(" ");
      // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after the command name.
      return (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      return 0;
    }
  }

  /** Sends a signal (ignored once it is gone). */
  kill(signal: Deno.Signal = "SIGKILL"): void {
    try {
      this.#child.kill(signal);
    } catch { /* already gone */ }
  }

  /** Stops the process (SIGTERM, SIGKILL after `graceMs`) and waits for it and its output. */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.#exited) {
      this.kill("SIGTERM");
      const timer = setTimeout(() => this.kill("SIGKILL"), graceMs);
      await this.status;
      clearTimeout(timer);
    }
    await Promise.all(this.#collectors);
  }

  #collect(stream: ReadableStream<Uint8Array>): void {
    this.#collectors.push(
      (async () => {
        const decoder = new TextDecoder();
        let rest = "";
        for await (const chunk of stream) {
          const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
          rest = lines.pop() ?? "";
          const now = performance.now();
          for (const line of lines.filter((line) => line.trim())) {
            this.#lines.push(line);
            this.#times.push(now);
          }
          if (this.#lines.length > 4000) {
            this.#lines.splice(0, 2000);
            this.#times.splice(0, 2000);
          }
        }
        if (rest.trim()) {
          this.#lines.push(rest);
          this.#times.push(performance.now());
        }
      })().catch(() => {}),
    );
  }
}

/** Polls `check` every `everyMs` until it returns true; throws `what` with `context()` after `timeoutMs`. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  options: { timeoutMs?: number; everyMs?: number; context?: () => string } = {},
): Promise<number> {
  const started = performance.now();
  const deadline = started + (options.timeoutMs ?? 30_000);
  while (true) {
    if (await check()) return performance.now() - started;
    if (performance.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${options.context ? `\n${options.context()}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, options.everyMs ?? 50));
  }
}
