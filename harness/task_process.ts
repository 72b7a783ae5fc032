/**
 * Runs a task from deno.json as a real child process (the exact command and permissions of the task, with the `deno`
 * binary running these tests), for process-level tests and benches: a TTS worker or the orchestrator on free loopback
 * ports, its log collected, signals, exit codes.
 *
 * @module
 */
import { freePort } from "./ports.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** The argv of a deno.json task (`deno run ... file.ts`), with `deno` resolved to this Deno binary. */
export function taskCommand(task: string): string[] {
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`));
  const command: string | undefined = config.tasks?.[task];
  if (!command) throw new Error(`deno.json has no task "${task}"`);
  const argv = command.split(/\s+/).filter(Boolean);
  if (argv[0] !== "deno") throw new Error(`task "${task}" does not start with deno: ${command}`);
  return [Deno.execPath(), ...argv.slice(1)];
}

/** A task's process with its stderr (the service's log) collected. */
class TaskProcess {
  readonly #child: Deno.ChildProcess;
  readonly #stderr: Promise<void>;
  #output = "";
  readonly status: Promise<Deno.CommandStatus>;

  protected constructor(task: string, env: Record<string, string>) {
    const [bin, ...args] = taskCommand(task);
    const child = new Deno.Command(bin, {
      args,
      cwd: ROOT,
      env: { NO_COLOR: "1", ...env },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    this.status = child.status;
    this.#stderr = (async () => {
      const decoder = new TextDecoder();
      for await (const bytes of child.stderr) this.#output += decoder.decode(bytes, { stream: true });
    })();
  }

  /** Process id. */
  get pid(): number {
    return this.#child.pid;
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

/** A worker process started from a task (`run-tts-piper`, `run-tts-mock`, …). */
export class WorkerProcess extends TaskProcess {
  readonly port: number;

  private constructor(task: string, env: Record<string, string>, port: number) {
    super(task, { WORKER_GRPC_HOST: "127.0.0.1", WORKER_GRPC_PORT: String(port), ...env });
    this.port = port;
  }

  /** Starts `task` on 127.0.0.1 and a free port with `env` on top of this process's environment. */
  static start(task: string, env: Record<string, string>): WorkerProcess {
    return new WorkerProcess(task, env, freePort());
  }
}

/** `deno task run-orch` on 127.0.0.1 with free WebSocket and health ports. */
export class OrchestratorProcess extends TaskProcess {
  readonly wsPort: number;
  readonly healthPort: number;

  private constructor(env: Record<string, string>, wsPort: number, healthPort: number) {
    super("run-orch", {
      ORCHESTRATOR_HOST: "127.0.0.1",
      ORCHESTRATOR_WS_PORT: String(wsPort),
      ORCHESTRATOR_HEALTH_PORT: String(healthPort),
      ...env,
    });
    this.wsPort = wsPort;
    this.healthPort = healthPort;
  }

  /** Starts the orchestrator with `env` on top of this process's environment. */
  static start(env: Record<string, string>): OrchestratorProcess {
    return new OrchestratorProcess(env, freePort(), freePort());
  }

  /** `ws://127.0.0.1:<port>`, where clients connect. */
  get url(): string {
    return `ws://127.0.0.1:${this.wsPort}`;
  }

  /** `http://127.0.0.1:<port>`, the health and metrics server. */
  get healthUrl(): string {
    return `http://127.0.0.1:${this.healthPort}`;
  }

  /** Waits until `/health` answers 200; rejects with the log's tail when it exits or `timeoutMs` passes first. */
  async ready(timeoutMs = 120_000): Promise<void> {
    let exited = false;
    this.status.then(() => exited = true);
    const deadline = performance.now() + timeoutMs;
    while ((await fetch(`${this.healthUrl}/health`).then((r) => (r.body?.cancel(), r.status), () => 0)) !== 200) {
      if (exited || performance.now() > deadline) {
        const why = exited ? "exited" : `was not ready within ${timeoutMs} ms`;
        throw new Error(`the orchestrator ${why}:\n${this.output.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
