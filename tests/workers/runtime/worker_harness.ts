/**
 * Test harness for the worker runtime: starts a real worker on a free loopback port and talks to it over real gRPC
 * (TTSService + grpc.health.v1.Health) with small promise-based helpers.
 *
 * @module
 */
import {
  type ClientDuplexStream,
  makeClientConstructor,
  type ServiceDefinition,
  type ServiceError,
} from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";
import {
  type AudioFrame,
  type Capabilities,
  ControlCommand,
  type ControlResponse,
  type ListModelsResponse,
  type LoadModelResponse,
  type SessionOptions,
  type StartSessionResponse,
  type TextChunk,
  TTSServiceClient,
  type UnloadModelResponse,
} from "../../../proto/gen/tts.ts";
import type { TtsAdapter } from "../../../workers/runtime/adapter.ts";
import { type RunningWorker, startWorker, type StartWorkerOptions } from "../../../workers/runtime/worker.ts";
import { MockAdapter } from "../../../workers/mock/mock_adapter.ts";
import { rpcSecretInterceptors, type WorkerLinkSecurity } from "../../../shared/security/worker_rpc.ts";
import { channelCredentials } from "../../../shared/security/worker_tls.ts";
import { WorkerProcess } from "../../../harness/task_process.ts";
import assert from "node:assert/strict";
import { chunk, collect, type SynthesisResult } from "../../../harness/tts_stream.ts";

/** The stream helpers live in harness/ (benches use them too); tests import them from here as before. */
export { chunk, collect, type SynthesisResult } from "../../../harness/tts_stream.ts";

/** Starts a worker with the mock adapter (or `adapter`) on 127.0.0.1 and a free port. */
export function startTestWorker(overrides: Partial<StartWorkerOptions> = {}): Promise<RunningWorker> {
  return startWorker({
    name: "test-worker",
    host: "127.0.0.1",
    port: 0,
    adapter: new MockAdapter() as TtsAdapter,
    defaultModel: "mock-440hz",
    preloadModelIds: [],
    modelManager: { idleTtlMs: 60_000, minResidencyMs: 0, maxResident: 4, maxParallelLoads: 1 },
    maxSessions: 16,
    maxTextChars: 1000,
    shutdownGraceMs: 2000,
    version: "test",
    ...overrides,
  });
}

type Callback<T> = (error: ServiceError | null, response: T) => void;

function promised<T>(invoke: (callback: Callback<T>) => unknown): Promise<T> {
  return new Promise((resolve, reject) => invoke((error, response) => error ? reject(error) : resolve(response)));
}

/** What a finished Synthesize call gave back. */

/** A TTSService client plus a health client for one worker. */
export class TestClient {
  readonly tts: TTSServiceClient;
  readonly #health: InstanceType<ReturnType<typeof makeClientConstructor>>;

  /** `security`: the call credential, as the orchestrator would send it (default: none). */
  constructor(readonly address: string, security: WorkerLinkSecurity = {}) {
    const link = channelCredentials(address, security.clientTls);
    this.tts = new TTSServiceClient(address, link.credentials, {
      ...link.options,
      interceptors: rpcSecretInterceptors(security.rpcSecret),
    });
    const Health = makeClientConstructor(healthService as unknown as ServiceDefinition, "grpc.health.v1.Health");
    this.#health = new Health(address, link.credentials, link.options);
  }

  /** Health Check of `service` ("" = the whole worker): `SERVING`, `NOT_SERVING`, ... */
  health(service = ""): Promise<string> {
    return promised<{ status: string }>((cb) =>
      (this.#health as unknown as { check(r: unknown, cb: Callback<{ status: string }>): void }).check({ service }, cb)
    ).then((r) => r.status);
  }

  startSession(sessionId: string, modelId = "", options?: SessionOptions): Promise<StartSessionResponse> {
    return promised((cb) => this.tts.startSession({ sessionId, modelId, options }, cb));
  }

  endSession(sessionId: string): Promise<{ ended: boolean }> {
    return promised((cb) => this.tts.endSession({ sessionId }, cb));
  }

  control(sessionId: string, command: ControlCommand): Promise<ControlResponse> {
    return promised((cb) => this.tts.control({ sessionId, command }, cb));
  }

  listModels(): Promise<ListModelsResponse> {
    return promised((cb) => this.tts.listModels({}, cb));
  }

  loadModel(modelId: string): Promise<LoadModelResponse> {
    return promised((cb) => this.tts.loadModel({ modelId }, cb));
  }

  unloadModel(modelId: string, force = false): Promise<UnloadModelResponse> {
    return promised((cb) => this.tts.unloadModel({ modelId, force }, cb));
  }

  capabilities(): Promise<Capabilities> {
    return promised((cb) => this.tts.getCapabilities({}, cb));
  }

  /** Opens a Synthesize stream; frames and the end are collected by {@linkcode collect}. */
  openStream(): ClientDuplexStream<TextChunk, AudioFrame> {
    return this.tts.synthesize();
  }

  /** Sends `texts` as chunks (session id on the first), half-closes, and collects the whole answer. */
  synthesize(sessionId: string, texts: string[]): Promise<SynthesisResult> {
    const call = this.openStream();
    const result = collect(call);
    texts.forEach((text, i) => call.write(chunk(i === 0 ? sessionId : "", text)));
    call.end();
    return result;
  }

  close(): void {
    this.tts.close();
    (this.#health as unknown as { close(): void }).close();
  }
}

/** Concatenates the audio of frames (the final frame's zero padding included). */
export function concatAudio(frames: AudioFrame[]): Uint8Array {
  const total = frames.reduce((n, f) => n + f.audio.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const frame of frames) {
    out.set(frame.audio, offset);
    offset += frame.audio.length;
  }
  return out;
}

/** Polls `condition` until true or `timeoutMs` passes (then throws with `what`). */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Runs a worker task (`run-tts-piper`, `run-tts-cosyvoice`, …) as a real process with no reachable Redis unless `env`
 * names one, waits until it serves, runs `body`, then checks that SIGTERM ends it with exit code 0. `security` is
 * the client's side of the link (call credential, TLS).
 */
export async function withWorkerTask(
  task: string,
  env: Record<string, string>,
  startupMs: number,
  body: (worker: WorkerProcess, client: TestClient) => Promise<void>,
  security: WorkerLinkSecurity = {},
): Promise<void> {
  const worker = WorkerProcess.start(task, { REDIS_URL: "redis://127.0.0.1:1", ...env });
  const client = new TestClient(`127.0.0.1:${worker.port}`, security);
  let clientOpen = true;
  try {
    let exited = false;
    worker.status.then(() => exited = true);
    await waitFor(
      () => exited || client.health().then((s) => s === "SERVING", () => false),
      "worker SERVING",
      startupMs,
    );
    assert.ok(!exited, "the worker exited during startup");
    await body(worker, client);
    // Stop the worker while the client is still open: the worker exits without closing its server, so no GOAWAY
    // is exchanged. A client's close sends one, and a GOAWAY on a connection that has carried streams trips an nghttp2
    // assertion (or heap corruption) in Deno's HTTP/2 (denoland/deno#36788) — 2 of 10 runs here with the opposite
    // order; waiting after the last stream does not help (bench/channel_close_race.ts).
    worker.kill("SIGTERM");
    const exit = await worker.close(false);
    client.close();
    clientOpen = false;
    assert.equal(exit.code, 0, `worker exit code; its log:\n${worker.output}`);
  } catch (error) {
    console.error(`worker log:\n${worker.output}`);
    throw error;
  } finally {
    if (clientOpen) client.close();
    await worker.close();
  }
}

export { ControlCommand };
