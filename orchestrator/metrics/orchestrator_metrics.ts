/**
 * The orchestrator's metrics (`voicechat_*`): the per-turn latencies of the design notes (`voice_to_voice_ms`,
 * `endpoint_ms`, `asr_final_ms`, `tts_first_audio_ms`, `barge_in_ms`, `barge_in_onset_ms`, …) as `_seconds` histograms, frame jitter,
 * sessions by transport, errors by code, the workers the router sees, the registry by model, process memory and, when
 * the ASR runs on CUDA, the GPU. One instance per process, shared by every session.
 *
 * Sessions and turn code measure in milliseconds and record through {@linkcode MillisecondHistogram}; the conversion
 * to seconds happens there.
 *
 * @module
 */
import type { WorkerRecord } from "../../shared/registry/worker_record.ts";
import { GpuSampler, registerGpuMetrics } from "../../shared/metrics/gpu.ts";
import { registerProcessMetrics } from "../../shared/metrics/process.ts";
import {
  type Counter,
  type Gauge,
  type GaugeSample,
  MetricsRegistry,
  type MillisecondHistogram,
} from "../../shared/metrics/registry.ts";
import type { TtsRouter } from "../routing/contract.ts";

/**
 * Latency buckets in seconds, chosen for speech: fine steps from 50 ms to 1.5 s, where the targets (voice-to-voice
 * under ~800 ms, first audio under ~300 ms, barge-in under ~200 ms) and their misses lie.
 */
export const LATENCY_BUCKETS_S = [
  0.005,
  0.01,
  0.02,
  0.03,
  0.05,
  0.075,
  0.1,
  0.15,
  0.2,
  0.25,
  0.3,
  0.4,
  0.5,
  0.6,
  0.7,
  0.8,
  1,
  1.2,
  1.5,
  2,
  3,
  5,
];
/** Frame jitter buckets in seconds (a 20 ms frame clock: anything above ~10 ms is audible). */
export const JITTER_BUCKETS_S = [
  0.00025,
  0.0005,
  0.001,
  0.0015,
  0.002,
  0.003,
  0.004,
  0.005,
  0.0075,
  0.01,
  0.015,
  0.02,
  0.05,
  0.1,
];

/** The transports sessions arrive on (a label value of the session metrics). */
export type TransportName = "websocket" | "livekit";

/** What the registry gauges read: the worker directory (absent without Redis). */
export interface RegistryView {
  list(): WorkerRecord[];
}

/** Optional sources of {@linkcode OrchestratorMetrics}. */
export interface OrchestratorMetricsSources {
  /** Workers registered in Redis (the `voicechat_registry_*` gauges). */
  directory?: RegistryView | null;
  /** Models that must always show in the per-model gauges, even with no worker (`DEFAULT_MODEL`). */
  expectedModels?: string[];
  /** Reads the GPU when the ASR runs on CUDA. */
  gpu?: GpuSampler;
}

/** Every metric of the orchestrator. */
export class OrchestratorMetrics {
  readonly registry = new MetricsRegistry();
  readonly endpoint: MillisecondHistogram;
  readonly asrFinal: MillisecondHistogram;
  readonly asrCompute: MillisecondHistogram;
  readonly responderFirstText: MillisecondHistogram;
  readonly ttsFirstAudio: MillisecondHistogram;
  readonly voiceToVoice: MillisecondHistogram;
  readonly bargeIn: MillisecondHistogram;
  readonly bargeInOnset: MillisecondHistogram;
  readonly frameJitter: MillisecondHistogram;
  readonly sessionsActive: Gauge;
  readonly sessionsTotal: Counter;
  readonly turnsTotal: Counter;
  readonly interruptions: Counter;
  readonly falseInterruptions: Counter;
  readonly framesSent: Counter;
  readonly framesDropped: Counter;
  readonly pacerUnderruns: Counter;
  readonly errors: Counter;
  readonly #gpu: GpuSampler | undefined;

  constructor(router?: Pick<TtsRouter, "workers">, sources: OrchestratorMetricsSources = {}) {
    const r = this.registry;
    const latency = (name: string, help: string) => r.histogramMs(`voicechat_${name}_seconds`, help, LATENCY_BUCKETS_S);
    this.endpoint = latency("endpoint", "VAD speech end to the endpoint decision");
    this.asrFinal = latency("asr_final", "Endpoint decision to the final transcript");
    this.asrCompute = latency("asr_compute", "ASR compute time of final transcripts");
    this.responderFirstText = latency("responder_first_text", "Final transcript to the responder's first text");
    this.ttsFirstAudio = latency("tts_first_audio", "Response text reaching the worker to its first audio frame");
    this.voiceToVoice = latency("voice_to_voice", "End of user speech to the first agent frame sent to the transport");
    this.bargeIn = latency(
      "barge_in",
      "The VAD's decision of user speech during agent speech to the last agent frame sent",
    );
    this.bargeInOnset = latency(
      "barge_in_onset",
      "Onset of the interrupting speech (first VAD window rated speech) to the last agent frame sent",
    );
    this.frameJitter = r.histogramMs(
      "voicechat_frame_jitter_seconds",
      "Absolute deviation of agent frame send times from the ideal 20 ms schedule",
      JITTER_BUCKETS_S,
    );
    this.sessionsActive = r.gauge("voicechat_sessions_active", "Sessions open now, by transport");
    this.sessionsTotal = r.counter("voicechat_sessions_total", "Sessions started, by transport");
    for (const transport of ["websocket", "livekit"]) {
      // Both series exist from the start, so rates and alerts see 0 rather than nothing.
      this.sessionsActive.set(0, { transport });
      this.sessionsTotal.inc({ transport }, 0);
    }
    this.turnsTotal = r.counter("voicechat_turns_total", "Agent responses started");
    this.interruptions = r.counter("voicechat_interruptions_total", "Agent responses cut short, by reason");
    this.falseInterruptions = r.counter(
      "voicechat_false_interruptions_total",
      "Barge-ins without words that resumed the agent",
    );
    this.framesSent = r.counter("voicechat_agent_frames_sent_total", "Agent audio frames sent to clients");
    this.framesDropped = r.counter("voicechat_agent_frames_dropped_total", "Agent frames a slow client did not take");
    this.pacerUnderruns = r.counter(
      "voicechat_pacer_underruns_total",
      "Times the agent audio ran dry before the response ended",
    );
    this.errors = r.counter("voicechat_errors_total", "Errors reported to clients, by code");
    this.#routerGauges(router);
    this.#registryGauges(sources.directory ?? null, router, sources.expectedModels ?? []);
    registerProcessMetrics(r);
    this.#gpu = sources.gpu;
    if (this.#gpu) {
      registerGpuMetrics(r, this.#gpu);
      void this.#gpu.start();
    }
  }

  /** A session opened on `transport`. */
  sessionOpened(transport: TransportName): void {
    this.sessionsTotal.inc({ transport });
    this.sessionsActive.add(1, { transport });
  }

  /** A session opened on `transport` ended. */
  sessionClosed(transport: TransportName): void {
    this.sessionsActive.add(-1, { transport });
  }

  /** Stops the GPU timer. */
  close(): void {
    this.#gpu?.stop();
  }

  #routerGauges(router: Pick<TtsRouter, "workers"> | undefined): void {
    const workers = () => router?.workers() ?? [];
    const per = (pick: (w: ReturnType<typeof workers>[number]) => number) => (): GaugeSample[] =>
      workers().map((w) => ({ labels: { worker: w.name }, value: pick(w) }));
    this.registry.gauge(
      "voicechat_worker_queue_depth",
      "Synthesis streams waiting for compute, per worker, as the router last saw it",
      per((w) => w.queueDepth),
    );
    this.registry.gauge(
      "voicechat_worker_active_sessions",
      "Sessions on each worker, as the router last saw it",
      per((w) => w.activeSessions),
    );
    this.registry.gauge(
      "voicechat_worker_up",
      "1 when the router's health check passes",
      per((w) => w.healthy ? 1 : 0),
    );
  }

  #registryGauges(
    directory: RegistryView | null,
    router: Pick<TtsRouter, "workers"> | undefined,
    expectedModels: string[],
  ): void {
    if (!directory) return; // static routing (TTS_WORKER_ADDRESS): no registry to report on
    // A model once seen keeps its series, so losing its last worker reads 0 (and alerts) instead of vanishing.
    const seenModels = new Set(expectedModels.filter(Boolean));
    const view = () => {
      // The router's health check decides "healthy": a record can outlive a hung worker by its TTL.
      const healthy = new Set((router?.workers() ?? []).filter((w) => w.healthy).map((w) => w.name));
      const records = directory.list();
      const perModel = new Map<string, { registered: number; healthy: number }>(
        [...seenModels].map((m) => [m, { registered: 0, healthy: 0 }]),
      );
      for (const record of records) {
        for (const model of new Set([...record.residentModels, ...record.availableModels])) {
          seenModels.add(model);
          const entry = perModel.get(model) ?? { registered: 0, healthy: 0 };
          entry.registered++;
          if (healthy.has(record.name)) entry.healthy++;
          perModel.set(model, entry);
        }
      }
      return { records, healthy: records.filter((r) => healthy.has(r.name)).length, perModel: [...perModel] };
    };
    this.registry.gauge(
      "voicechat_registry_workers",
      "Workers with a live record in the Redis registry",
      () => directory.list().length,
    );
    this.registry.gauge(
      "voicechat_registry_workers_healthy",
      "Registered workers whose health check passes",
      () => view().healthy,
    );
    this.registry.gauge(
      "voicechat_registry_model_workers",
      "Registered workers that can serve each model (resident or available)",
      () => view().perModel.map(([model, c]) => ({ labels: { model }, value: c.registered })),
    );
    this.registry.gauge(
      "voicechat_registry_model_workers_healthy",
      "Healthy registered workers that can serve each model",
      () => view().perModel.map(([model, c]) => ({ labels: { model }, value: c.healthy })),
    );
  }
}
