/**
 * The orchestrator's metrics, named as in the design notes (`asr_final_ms`, `responder_first_text_ms`,
 * `tts_first_audio_ms`, `voice_to_voice_ms`, `barge_in_ms`, `frame_jitter_ms`), plus sessions, workers and process
 * memory. One instance per process, shared by every session.
 *
 * @module
 */
import type { TtsRouter } from "../routing/contract.ts";
import { type Counter, type Gauge, type Histogram, MetricsRegistry } from "./registry.ts";

/** Latency buckets in ms: fine below a second, where the targets are. */
export const LATENCY_BUCKETS_MS = [
  5,
  10,
  20,
  30,
  50,
  75,
  100,
  150,
  200,
  300,
  400,
  500,
  700,
  1000,
  1500,
  2000,
  3000,
  5000,
];
/** Jitter buckets in ms. */
export const JITTER_BUCKETS_MS = [0.25, 0.5, 1, 1.5, 2, 3, 4, 5, 7.5, 10, 15, 20, 50, 100];

/** Every metric of the orchestrator. */
export class OrchestratorMetrics {
  readonly registry = new MetricsRegistry();
  readonly endpoint: Histogram;
  readonly asrFinal: Histogram;
  readonly asrCompute: Histogram;
  readonly responderFirstText: Histogram;
  readonly ttsFirstAudio: Histogram;
  readonly voiceToVoice: Histogram;
  readonly bargeIn: Histogram;
  readonly frameJitter: Histogram;
  readonly sessionsActive: Gauge;
  readonly sessionsTotal: Counter;
  readonly turnsTotal: Counter;
  readonly interruptions: Counter;
  readonly falseInterruptions: Counter;
  readonly framesSent: Counter;
  readonly framesDropped: Counter;
  readonly pacerUnderruns: Counter;
  readonly errors: Counter;

  constructor(router?: Pick<TtsRouter, "workers">) {
    const r = this.registry;
    this.endpoint = r.histogram(
      "endpoint_ms",
      "VAD speech end (stream boundary) to endpoint decision",
      LATENCY_BUCKETS_MS,
    );
    this.asrFinal = r.histogram("asr_final_ms", "Endpoint decision to final transcript available", LATENCY_BUCKETS_MS);
    this.asrCompute = r.histogram("asr_compute_ms", "ASR compute time of final transcripts", LATENCY_BUCKETS_MS);
    this.responderFirstText = r.histogram(
      "responder_first_text_ms",
      "Final transcript to first text from the responder",
      LATENCY_BUCKETS_MS,
    );
    this.ttsFirstAudio = r.histogram(
      "tts_first_audio_ms",
      "Response text reaching the worker to its first audio frame",
      LATENCY_BUCKETS_MS,
    );
    this.voiceToVoice = r.histogram(
      "voice_to_voice_ms",
      "End of user speech to first agent frame sent to the transport",
      LATENCY_BUCKETS_MS,
    );
    this.bargeIn = r.histogram(
      "barge_in_ms",
      "User speech onset during agent speech to last agent frame sent",
      LATENCY_BUCKETS_MS,
    );
    this.frameJitter = r.histogram(
      "frame_jitter_ms",
      "Absolute deviation of agent frame send times from the ideal 20 ms schedule",
      JITTER_BUCKETS_MS,
    );
    this.sessionsActive = r.gauge("sessions_active", "Sessions open now");
    this.sessionsTotal = r.counter("sessions_total", "Sessions started");
    this.turnsTotal = r.counter("turns_total", "Agent responses started");
    this.interruptions = r.counter("interruptions_total", "Agent responses cut short, by reason");
    this.falseInterruptions = r.counter("false_interruptions_total", "Barge-ins without words that resumed the agent");
    this.framesSent = r.counter("agent_frames_sent_total", "Agent audio frames sent to clients");
    this.framesDropped = r.counter("agent_frames_dropped_total", "Agent frames a slow client did not take");
    this.pacerUnderruns = r.counter("pacer_underruns_total", "Times the agent audio ran dry before the response ended");
    this.errors = r.counter("session_errors_total", "Errors reported to clients, by code");
    const workers = () => router?.workers() ?? [];
    r.gauge(
      "worker_queue_depth",
      "Synthesis streams waiting for compute, per worker",
      () => workers().map((w) => ({ labels: { worker: w.name }, value: w.queueDepth })),
    );
    r.gauge(
      "worker_active_sessions",
      "Sessions on each worker",
      () => workers().map((w) => ({ labels: { worker: w.name }, value: w.activeSessions })),
    );
    r.gauge(
      "worker_up",
      "1 when the worker is healthy",
      () => workers().map((w) => ({ labels: { worker: w.name }, value: w.healthy ? 1 : 0 })),
    );
    r.gauge("process_resident_memory_bytes", "Resident memory of the process", () => Deno.memoryUsage().rss);
    r.gauge("process_heap_used_bytes", "V8 heap in use", () => Deno.memoryUsage().heapUsed);
  }
}
