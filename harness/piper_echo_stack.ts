/**
 * A real Piper worker and an echo-responder orchestrator on a private Redis, both as task processes and ready for
 * spoken turns: the stack the speech benches (orchestrator, barge-in, capacity) measure.
 *
 * @module
 */
import { RedisServer } from "./redis_server.ts";
import { OrchestratorProcess, WorkerProcess } from "./task_process.ts";
import { JOE, requireFixtures, until } from "./ws_stack.ts";

/** The running stack. */
export interface PiperEchoStack {
  worker: WorkerProcess;
  orchestrator: OrchestratorProcess;
  /** Stops the orchestrator, the worker and Redis, in that order. */
  close(): Promise<void>;
}

/**
 * Starts Redis, `run-tts-piper` with the joe voice and `run-orch` with the echo responder and `apiKeys`; resolves
 * once both serve. `orchestratorEnv` adds to or overrides the orchestrator's settings.
 */
export async function startPiperEchoStack(
  apiKeys: readonly string[],
  orchestratorEnv: Record<string, string> = {},
): Promise<PiperEchoStack> {
  await requireFixtures();
  const redis = await RedisServer.start();
  const worker = WorkerProcess.start("run-tts-piper", { REDIS_URL: redis.url, DEFAULT_MODEL: JOE });
  const orchestrator = OrchestratorProcess.start({
    REDIS_URL: redis.url,
    ORCHESTRATOR_API_KEYS: apiKeys.join(","),
    TTS_WORKER_ADDRESS: `127.0.0.1:${worker.port}`,
    DEFAULT_MODEL: JOE,
    RESPONDER: "echo",
    LOG_LEVEL: "warning",
    ...orchestratorEnv,
  });
  const close = async () => {
    orchestrator.kill("SIGTERM");
    await orchestrator.close(false);
    await worker.close();
    await redis.dispose();
  };
  try {
    await until(() => /serving piper on/.test(worker.output), "the Piper worker", 120_000);
    await orchestrator.ready(120_000);
  } catch (error) {
    await close();
    throw error;
  }
  return { worker, orchestrator, close };
}
