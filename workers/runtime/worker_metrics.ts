/**
 * A TTS worker's metrics (`voicechat_tts_*`), served on `WORKER_METRICS_PORT`: how fast it starts speaking, how fast
 * it computes, how busy it is, which models it holds and what they cost to load, plus process memory and, on CUDA,
 * the GPU. Load gauges are read from the worker's live state at scrape time, so they never disagree with the
 * registry record or GetCapabilities.
 *
 * @module
 */
import { GpuSampler, registerGpuMetrics } from "../../shared/metrics/gpu.ts";
import { registerProcessMetrics } from "../../shared/metrics/process.ts";
import { type Counter, MetricsRegistry, type MillisecondHistogram } from "../../shared/metrics/registry.ts";
import type { ModelManager } from "./model_manager.ts";
import type { SessionTable } from "./session_table.ts";

/** First-frame buckets in seconds: a streaming TTS should start within 100-300 ms; a cold model takes seconds. */
export const FIRST_FRAME_BUCKETS_S = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5];
/** Model load buckets in seconds: voices load in well under a second, large GPU models in tens of seconds. */
export const MODEL_LOAD_BUCKETS_S = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120];

/** What the gauges read at scrape time. */
export interface WorkerLoadSource {
  readonly sessions: Pick<SessionTable, "size" | "maxSessions">;
  readonly models: Pick<ModelManager, "status">;
  queueDepth(): number;
}

/** Every metric of one worker. */
export class WorkerMetrics {
  readonly registry = new MetricsRegistry();
  /** First text chunk of a Synthesize stream to its first audio frame handed to gRPC, by model. */
  readonly firstFrame: MillisecondHistogram;
  /** Model load plus warmup, by model. */
  readonly modelLoad: MillisecondHistogram;
  /** Synthesize streams by model and outcome (`ok`, `cancelled`, `error`). */
  readonly streams: Counter;
  /** Seconds of audio produced, by model. */
  readonly audioSeconds: Counter;
  #gpu: GpuSampler | null = null;

  constructor(source: WorkerLoadSource) {
    const r = this.registry;
    this.firstFrame = r.histogramMs(
      "voicechat_tts_first_frame_seconds",
      "First text of a synthesis stream to its first audio frame sent",
      FIRST_FRAME_BUCKETS_S,
    );
    this.modelLoad = r.histogramMs(
      "voicechat_tts_model_load_seconds",
      "Time to load and warm up a model",
      MODEL_LOAD_BUCKETS_S,
    );
    this.streams = r.counter("voicechat_tts_streams_total", "Synthesis streams ended, by model and outcome");
    this.audioSeconds = r.counter("voicechat_tts_audio_seconds_total", "Seconds of audio synthesized, by model");
    r.gauge("voicechat_tts_active_sessions", "Sessions open on this worker", () => source.sessions.size);
    r.gauge("voicechat_tts_max_sessions", "Session limit (WORKER_MAX_SESSIONS)", () => source.sessions.maxSessions);
    r.gauge(
      "voicechat_tts_queue_depth",
      "Synthesis streams waiting for compute plus sessions waiting for a model load",
      () => source.queueDepth(),
    );
    r.gauge(
      "voicechat_tts_model_loaded",
      "1 for each resident model",
      () => source.models.status().map((m) => ({ labels: { model: m.modelId }, value: 1 })),
    );
    r.gauge(
      "voicechat_tts_real_time_factor",
      "Compute seconds per second of audio so far, by resident model (below 1 is faster than real time)",
      () => source.models.status().map((m) => ({ labels: { model: m.modelId }, value: m.rtf })),
    );
    registerProcessMetrics(r);
  }

  /** On a CUDA device: adds the GPU gauges and starts reading nvidia-smi. */
  enableGpu(sampler: GpuSampler = new GpuSampler({ visibleDevices: Deno.env.get("CUDA_VISIBLE_DEVICES") })): void {
    if (this.#gpu) return;
    this.#gpu = sampler;
    registerGpuMetrics(this.registry, sampler);
    void sampler.start();
  }

  /** Stops the GPU timer. */
  close(): void {
    this.#gpu?.stop();
  }
}
