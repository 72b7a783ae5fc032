/**
 * The real stack for end-to-end tests: redis-server, Piper worker processes (`deno task run-tts-piper` with the
 * joe voice), and the orchestrator composition of `orchestrator/main.ts` in-process (real Silero VAD, real Whisper
 * tiny.en, real router), reached over real WebSockets. Missing fixtures fail with the command that installs them.
 *
 * @module
 */
import { orchestratorConfigSchema } from "../shared/config/orchestrator.ts";
import { float32ToInt16 } from "../shared/audio/pcm.ts";
import { type Orchestrator, startOrchestrator } from "../orchestrator/main.ts";
import { VoiceWsClient } from "../shared/protocol/ws_client.ts";
import { freePort } from "./ports.ts";
import { RedisServer } from "./redis_server.ts";
import { resolveRepoPath } from "./sox.ts";
import { WorkerProcess } from "./task_process.ts";

/** The voice every end-to-end test speaks with. */
export const JOE = "piper-en-us-joe-medium";
/** The key clients of the stack use. */
export const API_KEY = "e2e-test-key";
/** More keys, for tests that open more sessions than one key may hold. */
export const EXTRA_KEYS = Array.from({ length: 24 }, (_, i) => `e2e-extra-key-${i}`);

const FIXTURES = [
  "models/silero/silero_vad_v5.onnx",
  "models/whisper/tiny.en",
  "voicepacks/piper/en-us-joe-medium/en_US-joe-medium.onnx",
];

/** Fails with the setup hint unless the models the stack needs are installed. */
export async function requireFixtures(): Promise<void> {
  for (const path of FIXTURES) {
    const found = await Deno.stat(resolveRepoPath(path)).then(() => true, () => false);
    if (!found) throw new Error(`end-to-end fixture missing: ${path}; run \`deno task setup\``);
  }
}

/** A running stack. */
export interface E2EStack {
  redis: RedisServer;
  workers: StackWorker[];
  orchestrator: Orchestrator;
  /** Connects a client with the stack's key (or `EXTRA_KEYS[keyIndex]`). */
  connect(keyIndex?: number): Promise<VoiceWsClient>;
  /** Starts one more Piper worker and waits until it serves. */
  addWorker(): Promise<StackWorker>;
  close(): Promise<void>;
}

/** Waits until `condition` holds, polling; throws `what` on timeout. */
export async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A Piper worker process of the stack and its registry name. */
export interface StackWorker {
  name: string;
  process: WorkerProcess;
}

async function startWorker(redisUrl: string, index: number): Promise<StackWorker> {
  const name = `e2e-piper-${index}-${freePort()}`;
  const worker = WorkerProcess.start("run-tts-piper", {
    REDIS_URL: redisUrl,
    DEFAULT_MODEL: JOE,
    WORKER_NAME: name,
    WORKER_HEARTBEAT_MS: "500",
    LOG_LEVEL: "info",
  });
  let exited = false;
  worker.status.then(() => exited = true);
  try {
    await until(() => exited || /serving piper on/.test(worker.output), `Piper worker ${index} to serve`, 90_000);
    if (exited) throw new Error(`Piper worker ${index} exited during startup`);
  } catch (error) {
    await worker.close();
    throw new Error(`${(error as Error).message}\n--- worker log ---\n${worker.output.slice(-2000)}`);
  }
  return { name, process: worker };
}

/** Starts Redis, `workers` Piper workers and the orchestrator; `env` overrides orchestrator variables. */
export async function startStack(options: { workers?: number; env?: Record<string, string> } = {}): Promise<E2EStack> {
  await requireFixtures();
  const redis = await RedisServer.start();
  const workers: StackWorker[] = [];
  let orchestrator: Orchestrator | null = null;
  try {
    for (let i = 0; i < (options.workers ?? 1); i++) workers.push(await startWorker(redis.url, i));
    const config = orchestratorConfigSchema.parse({
      REDIS_URL: redis.url,
      ORCHESTRATOR_HOST: "127.0.0.1",
      ORCHESTRATOR_WS_PORT: String(freePort()),
      ORCHESTRATOR_HEALTH_PORT: String(freePort()),
      ORCHESTRATOR_API_KEYS: [API_KEY, ...EXTRA_KEYS].join(","),
      // Every test user connects from 127.0.0.1: twenty sessions from one address are the point of one step.
      ORCHESTRATOR_MAX_CONNECTIONS_PER_ADDRESS: "64",
      // The first worker doubles as the static fallback, as in a single-host deployment.
      TTS_WORKER_ADDRESS: `127.0.0.1:${workers[0].process.port}`,
      DEFAULT_MODEL: JOE,
      ASR_ENGINE: "whisper",
      ASR_DEVICE: "cpu",
      ASR_MODELS_DIR: resolveRepoPath("models/whisper"),
      VAD_MODEL_PATH: resolveRepoPath("models/silero/silero_vad_v5.onnx"),
      LOG_LEVEL: "warning",
      ...options.env,
    });
    orchestrator = await startOrchestrator(config);
    const orch = orchestrator;
    await until(() => orch.router.workers().length >= workers.length, "the router to see every worker", 30_000);
    return {
      redis,
      workers,
      orchestrator: orch,
      connect: (keyIndex?: number) =>
        VoiceWsClient.connect(orch.wsUrl, { credential: keyIndex === undefined ? API_KEY : EXTRA_KEYS[keyIndex] }),
      async addWorker() {
        const worker = await startWorker(redis.url, workers.length);
        workers.push(worker);
        return worker;
      },
      async close() {
        await orch.close();
        await Promise.all(workers.map((w) => w.process.close()));
        await redis.dispose();
      },
    };
  } catch (error) {
    await orchestrator?.close();
    await Promise.all(workers.map((w) => w.process.close()));
    await redis.dispose();
    throw error;
  }
}

/** Float samples (−1..1) as s16 for the wire. */
export function toWire(samples: Float32Array): Int16Array {
  return float32ToInt16(samples);
}

/** Receive times of agent frames, as deviation from the ideal 20 ms grid anchored at the `lead`-th frame. */
export function pacingDeviations(arrivals: number[], leadFrames: number): number[] {
  if (arrivals.length <= leadFrames + 1) return [];
  const anchor = arrivals[leadFrames];
  return arrivals.slice(leadFrames).map((t, k) => Math.abs(t - (anchor + 20 * k)));
}

/** The p-th percentile (0..100) of `values`. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
