/**
 * Real mock TTS workers for the routing tests: in-process ones (the worker runtime with the mock adapter on a free
 * loopback port) and ones in a child process, for tests that must kill a worker with SIGKILL.
 *
 * @module
 */
import { type RunningWorker, startWorker } from "../../../workers/runtime/worker.ts";
import { MockAdapter } from "../../../workers/mock/mock_adapter.ts";

/** Options of a test worker. */
export interface MockWorkerOptions {
  redisUrl?: string;
  heartbeatMs?: number;
  maxSessions?: number;
  defaultModel?: string;
  preload?: string[];
  shutdownGraceMs?: number;
  /** The configured model the worker does not serve, and why (published in its registry record). */
  modelFallback?: { requested: string; reason: string };
}

/** Starts a mock worker in this process on a free port, registered in Redis when `redisUrl` is given. */
export function startMockWorker(name: string, options: MockWorkerOptions = {}): Promise<RunningWorker> {
  const heartbeatMs = options.heartbeatMs ?? 100;
  return startWorker({
    name,
    host: "127.0.0.1",
    port: 0,
    adapter: new MockAdapter(),
    defaultModel: options.defaultModel ?? "mock-440hz",
    preloadModelIds: options.preload ?? [],
    modelFallback: options.modelFallback,
    modelManager: { idleTtlMs: 600_000, minResidencyMs: 0, maxResident: 4, maxParallelLoads: 1 },
    maxSessions: options.maxSessions ?? 8,
    maxTextChars: 20_000,
    shutdownGraceMs: options.shutdownGraceMs ?? 200,
    version: "test",
    // Fast heartbeats make joins and load updates prompt; a TTL of seconds keeps a worker listed when a loaded test
    // machine stalls the event loop for a few hundred ms.
    registry: options.redisUrl
      ? { redisUrl: options.redisUrl, heartbeatMs, ttlMs: Math.max(2000, 3 * heartbeatMs) }
      : undefined,
  });
}

/** A mock worker in a child process (so that a test can SIGKILL it). */
export interface ChildWorker {
  name: string;
  address: string;
  /** SIGKILL: no deregistration, no goodbye, connections reset. */
  kill(): Promise<void>;
  /** SIGSTOP: the process hangs with its connections open (a frozen host); `kill` still ends it. */
  freeze(): void;
}

/** Starts a registered mock worker in a child process and waits until it serves. */
export async function spawnMockWorker(name: string, redisUrl: string, heartbeatMs = 100): Promise<ChildWorker> {
  const script = new URL("./fixtures/mock_worker_process.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, name, redisUrl, String(heartbeatMs)],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = Date.now() + 60_000;
  while (!text.includes("\n") && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const line = text.split("\n")[0];
  let address = "";
  try {
    address = JSON.parse(line).address;
  } catch {
    child.kill("SIGKILL");
    await child.status;
    throw new Error(`mock worker process ${name} did not start: ${line || "(no output)"}`);
  }
  let killed = false;
  return {
    name,
    address,
    freeze() {
      child.kill("SIGSTOP");
    },
    async kill() {
      if (killed) return;
      killed = true;
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
      await reader.cancel().catch(() => {});
    },
  };
}
