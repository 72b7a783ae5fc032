/**
 * Runs a worker task from deno.json as a real child process (the exact command and permissions of the task, with
 * the `deno` binary running these tests), for process-level tests: startup, registry, signals, exit codes.
 *
 * @module
 */
import { freePort } from "../../helpers/ports.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;

/** The argv of a deno.json task (`deno run ... file.ts`), with `deno` resolved to this Deno binary. */
export function taskCommand(task: string): string[] {
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`));
  const command: string | undefined = config.tasks?.[task];
  if (!command) throw new Error(`deno.json has no task "${task}"`);
  const argv = command.split(/\s+/).filter(Boolean);
  if (argv[0] !== "deno") throw new Error(`task "${task}" does not start with deno: ${command}`);
  return [Deno.execPath(), ...argv.slice(1)];
}

/** A worker process started from a task. */
export class WorkerProcess {
  readonly #child: Deno.ChildProcess;
  readonly #stderr: Promise<void>;
  #output = "";
  readonly port: number;
  readonly status: Promise<Deno.CommandStatus>;

  private constructor(child: Deno.ChildProcess, port: number) {
    this.#child = child;
    this.port = port;
    this.status = child.status;
    this.#stderr = (async () => {
      const decoder = new TextDecoder();
      for await (const bytes of child.stderr) this.#output += decoder.decode(bytes, { stream: true });
    })();
  }

  /** Starts `task` on 127.0.0.1 and a free port with `env` on top of this process's environment. */
  static start(task: string, env: Record<string, string>): WorkerProcess {
    const port = freePort();
    const [bin, ...args] = taskCommand(task);
    const child = new Deno.Command(bin, {
      args,
      cwd: ROOT,
      env: { WORKER_GRPC_HOST: "127.0.0.1", WORKER_GRPC_PORT: String(port), NO_COLOR: "1", ...env },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    return new WorkerProcess(child, port);
  }

  /** Everything the process wrote to stderr so far (its logs). */
  get output(): string {
    return this.#output;
  }

  /** Sends a signal (ignored when the process is gone). */
  kill(signal: Deno.Signal): void {
    try {
      this.#child.kill(signal);
    } catch { /* already exited */ }
  }

  /** Waits for the exit and the end of its output; kills it first when `force`. */
  async close(force = true): Promise<Deno.CommandStatus> {
    if (force) this.kill("SIGKILL");
    const status = await this.status;
    await this.#stderr;
    return status;
  }
}
