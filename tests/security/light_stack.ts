/**
 * A light real stack for security tests: redis-server, a mock TTS worker process (`deno task run-tts-mock`, registered,
 * so the directory path is exercised), and the orchestrator composition of `orchestrator/main.ts` in-process (real
 * Silero VAD, real Whisper tiny.en, real router, echo responder), reached over real WebSockets and HTTP. The worker
 * runs in its own process: an in-process gRPC server closing under Deno's HTTP/2 clients can crash the test process
 * (an nghttp2 assertion on GOAWAY; see workers/runtime/worker.ts, closeServer).
 *
 * @module
 */
import { type Orchestrator, startOrchestrator } from "../../orchestrator/main.ts";
import { VoiceWsClient } from "../../shared/protocol/ws_client.ts";
import { orchestratorConfigSchema } from "../../shared/config/orchestrator.ts";
import { freePort } from "../../harness/ports.ts";
import { RedisServer } from "../../harness/redis_server.ts";
import { WorkerProcess } from "../../harness/task_process.ts";
import { requireFixtures, until } from "../../harness/ws_stack.ts";
import { TestClient, waitFor } from "../workers/runtime/worker_harness.ts";

/** The key clients of the light stack use. */
export const LIGHT_KEY = "light-stack-key-0123456789";

/** A running light stack. */
export interface LightStack {
  redis: RedisServer;
  /** The worker process, its `host:port` and registry name. */
  worker: WorkerProcess;
  workerAddress: string;
  workerName: string;
  /** A client of the worker, with the stack's call credential. */
  workerClient: TestClient;
  /** Sessions the worker holds now (GetCapabilities). */
  workerSessions(): Promise<number>;
  orchestrator: Orchestrator;
  /** A client with the stack's key. */
  connect(): Promise<VoiceWsClient>;
  /** Whether /health answers 200. */
  healthy(): Promise<boolean>;
  /** One good session: start, a text turn answered with audio, end. Throws when anything is wrong. */
  goodSession(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the light stack; `env` overrides orchestrator variables, `worker` the worker options. */
export async function startLightStack(
  options: { env?: Record<string, string>; rpcSecret?: string } = {},
): Promise<LightStack> {
  await requireFixtures();
  const redis = await RedisServer.start();
  let worker: WorkerProcess | null = null;
  let workerClient: TestClient | null = null;
  try {
    const name = `light-mock-${freePort()}`;
    worker = WorkerProcess.start("run-tts-mock", {
      REDIS_URL: redis.url,
      ADAPTER_TYPE: "mock",
      DEFAULT_MODEL: "mock-440hz",
      WORKER_NAME: name,
      WORKER_MAX_SESSIONS: "32",
      WORKER_HEARTBEAT_MS: "200",
      LOG_LEVEL: "warning",
      ...(options.rpcSecret ? { WORKER_RPC_SECRET: options.rpcSecret } : {}),
    });
    const address = `127.0.0.1:${worker.port}`;
    const client = workerClient = new TestClient(address, { rpcSecret: options.rpcSecret });
    await waitFor(() => client.health().then((s) => s === "SERVING", () => false), "the mock worker", 60_000);
    const config = orchestratorConfigSchema.parse({
      REDIS_URL: redis.url,
      ORCHESTRATOR_HOST: "127.0.0.1",
      ORCHESTRATOR_WS_PORT: String(freePort()),
      ORCHESTRATOR_HEALTH_PORT: String(freePort()),
      ORCHESTRATOR_API_KEYS: LIGHT_KEY,
      DEFAULT_MODEL: "mock-440hz",
      ASR_ENGINE: "whisper",
      ASR_DEVICE: "cpu",
      ASR_MODELS_DIR: "models/whisper",
      VAD_MODEL_PATH: "models/silero/silero_vad_v5.onnx",
      LOG_LEVEL: "error",
      ...(options.rpcSecret ? { WORKER_RPC_SECRET: options.rpcSecret } : {}),
      ...options.env,
    });
    const orchestrator = await startOrchestrator(config);
    const running = worker;
    await until(() => orchestrator.router.workers().some((w) => w.healthy), "the router to see the worker", 30_000);
    const connect = () => VoiceWsClient.connect(orchestrator.wsUrl, { credential: LIGHT_KEY });
    return {
      redis,
      worker: running,
      workerAddress: address,
      workerName: name,
      workerClient: client,
      workerSessions: async () => (await client.capabilities()).activeSessions,
      orchestrator,
      connect,
      async healthy() {
        const response = await fetch(`${orchestrator.healthUrl}/health`);
        await response.body?.cancel();
        return response.status === 200;
      },
      async goodSession() {
        const client = await connect();
        try {
          await client.start();
          client.sendText("a good turn");
          const done = await client.waitFor("response.done", 15_000);
          if ((done as { text: string }).text !== "a good turn") {
            throw new Error(`wrong answer ${JSON.stringify(done)}`);
          }
          if (client.frames.length === 0) throw new Error("the good session got no audio");
        } finally {
          await client.close();
        }
      },
      async close() {
        await orchestrator.close();
        client.close();
        running.kill("SIGTERM");
        await running.close(false);
        await redis.dispose();
      },
    };
  } catch (error) {
    workerClient?.close();
    await worker?.close();
    await redis.dispose();
    throw error;
  }
}
