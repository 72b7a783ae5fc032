/// <reference lib="dom" />
/**
 * The page's audio graph: one 48 kHz `AudioContext`, the worklet processors (`audio_worklet.js`), meters that turn
 * any stream into a timeline of 20 ms levels, and the gapless player the WebSocket transport uses for agent frames.
 *
 * @module
 */
import { WIRE_RATE } from "./protocol.ts";

/** A 20 ms level reading. */
export interface LevelSample {
  /** `performance.now()` when it arrived. */
  atMs: number;
  /** RMS, 0..1. */
  rms: number;
}

/** Levels above this count as sound (about −46 dBFS): quiet speech is louder, the codecs' comfort noise is not. */
export const AUDIBLE_RMS = 0.005;

/** A bounded timeline of levels with the statistics the UI and the tests read. */
export class LevelTimeline {
  readonly samples: LevelSample[] = [];
  /** Milliseconds of audio above {@linkcode AUDIBLE_RMS} so far. */
  audibleMs = 0;
  peakRms = 0;
  /** Sum of squares of audible blocks, for their RMS. */
  #audibleEnergy = 0;
  #audibleBlocks = 0;
  lastAudibleAtMs = -Infinity;
  firstAudibleAtMs = -Infinity;
  onLevel?: (rms: number) => void;

  add(rms: number): void {
    const atMs = performance.now();
    this.samples.push({ atMs, rms });
    if (this.samples.length > 30_000) this.samples.splice(0, 10_000);
    this.peakRms = Math.max(this.peakRms, rms);
    if (rms > AUDIBLE_RMS) {
      this.audibleMs += 20;
      this.#audibleEnergy += rms * rms;
      this.#audibleBlocks++;
      this.lastAudibleAtMs = atMs;
      if (this.firstAudibleAtMs === -Infinity) this.firstAudibleAtMs = atMs;
    }
    this.onLevel?.(rms);
  }

  /** RMS over the audible blocks only. */
  get audibleRms(): number {
    return this.#audibleBlocks ? Math.sqrt(this.#audibleEnergy / this.#audibleBlocks) : 0;
  }

  /** Audible milliseconds after `fromMs` (performance time). */
  audibleMsSince(fromMs: number): number {
    return this.samples.filter((s) => s.atMs >= fromMs && s.rms > AUDIBLE_RMS).length * 20;
  }
}

/** The context and its processors. */
export class AudioGraph {
  readonly context: AudioContext;
  readonly ready: Promise<void>;
  /** A silent sink: meters and the capture node connect here so the browser renders them without playing them. */
  readonly sink: GainNode;

  constructor(workletUrl = "audio_worklet.js") {
    this.context = new AudioContext({ sampleRate: WIRE_RATE, latencyHint: "interactive" });
    this.sink = this.context.createGain();
    this.sink.gain.value = 0;
    this.sink.connect(this.context.destination);
    this.ready = this.context.audioWorklet.addModule(workletUrl);
  }

  /** Resumes the context (browsers start it suspended until a user gesture). */
  async resume(): Promise<void> {
    await this.ready;
    if (this.context.state !== "running") await this.context.resume();
  }

  /** A meter node feeding `timeline`; connect a source to it. It only measures. */
  createMeter(timeline: LevelTimeline): AudioWorkletNode {
    const node = new AudioWorkletNode(this.context, "level-tap");
    node.port.onmessage = (event) => timeline.add(event.data.rms);
    node.connect(this.sink);
    return node;
  }

  /** Meters a `MediaStreamTrack` (the microphone, or the agent's track on LiveKit); returns a disconnect function. */
  meterTrack(track: MediaStreamTrack, timeline: LevelTimeline): () => void {
    const source = this.context.createMediaStreamSource(new MediaStream([track]));
    const meter = this.createMeter(timeline);
    source.connect(meter);
    return () => {
      source.disconnect();
      meter.disconnect();
      meter.port.onmessage = null;
    };
  }

  /** Closes the context. */
  async close(): Promise<void> {
    await this.context.close().catch(() => {});
  }
}

/**
 * Plays 20 ms PCM s16 frames back to back: each frame starts where the previous one ends, with a small lead on an
 * empty queue to absorb network jitter. `flush` stops everything scheduled (an interruption).
 */
export class PcmPlayer {
  #graph: AudioGraph;
  #output: AudioNode;
  #nextTime = 0;
  #playing = new Set<AudioBufferSourceNode>();

  constructor(graph: AudioGraph, timeline: LevelTimeline, readonly leadSeconds = 0.06) {
    this.#graph = graph;
    const meter = graph.createMeter(timeline);
    meter.connect(graph.context.destination);
    this.#output = meter;
  }

  /** Schedules one frame (PCM s16le mono at 48 kHz). */
  play(pcm: ArrayBuffer): void {
    const context = this.#graph.context;
    const samples = new Int16Array(pcm);
    if (samples.length === 0) return;
    const buffer = context.createBuffer(1, samples.length, WIRE_RATE);
    const channel = buffer.getChannelData(0);
    for (let i = 0; i < samples.length; i++) channel[i] = samples[i] / 32768;
    const source = context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.#output);
    const startAt = Math.max(this.#nextTime, context.currentTime + (this.#playing.size ? 0 : this.leadSeconds));
    source.start(startAt);
    this.#nextTime = startAt + buffer.duration;
    this.#playing.add(source);
    source.onended = () => this.#playing.delete(source);
  }

  /** Stops all scheduled audio now. */
  flush(): void {
    for (const source of this.#playing) {
      try {
        source.stop();
      } catch { /* not started */ }
    }
    this.#playing.clear();
    this.#nextTime = 0;
  }
}
