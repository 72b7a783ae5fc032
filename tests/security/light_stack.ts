/**
 * A light real stack for security tests: redis-server, an in-process mock TTS worker (registered, so the directory
 * path is exercised), and the orchestrator composition of `orchestrator/main.ts` in-process (real Silero VAD, real
 * Whisper tiny.en, real router, echo responder), reached over real WebSockets and HTTP.
 *
 * @module
 */
import { type Orchestrator, startOrchestrator } from "../../orchestrator/main.ts";
import { VoiceWsClient } from "../../shared/protocol/ws_client.ts";
import { orchestratorConfigSchema } from "../../shared/config/orchestrator.ts";
import type { RunningWorker, StartWorkerOptions } from "../../workers/runtime/worker.ts";
import { freePort } from "../helpers/ports.ts";
import { RedisServer } from "../helpers/redis_server.ts";
import { requireFixtures, until } from "../orchestrator/e2e_ws/stack.ts";
import { startTestWorker } from "../workers/runtime/worker_harness.ts";

/** The key clients of the light stack use. */
export const LIGHT_KEY = "light-stack-key-0123456789";

/** A running light stack. */
export interface LightStack {
  redis: RedisServer;
  worker: RunningWorker;
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
  options: { env?: Record<string, string>; worker?: Partial<StartWorkerOptions>; rpcSecret?: string } = {},
): Promise<LightStack> {
  await requireFixtures();
  const redis = await RedisServer.start();
  let worker: RunningWorker | null = null;
  try {
    worker = await startTestWorker({
      maxSessions: 32,
      registry: { redisUrl: redis.url, heartbeatMs: 200, ttlMs: 1000 },
      security: { rpcSecret: options.rpcSecret },
      ...options.worker,
    });
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
        // Let the worker see every client connection close first: a GOAWAY racing a just-closed stream trips an
        // nghttp2 assertion in Deno's HTTP/2 client (see workers/runtime/worker.ts, closeServer).
        await new Promise((resolve) => setTimeout(resolve, 300));
        await running.shutdown("test");
        await redis.dispose();
      },
    };
  } catch (error) {
    await worker?.shutdown("test");
    await redis.dispose();
    throw error;
  }
}
