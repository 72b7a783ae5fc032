/**
 * VAD bench: Silero v5 cost per 32 ms window on one stream (mean / p50 / p95 / p99, target ≤ 0.2 ms), and how many
 * real-time streams one core sustains, measured by running N streams interleaved and dividing the audio they
 * processed by the CPU time the process spent (wall time is shown too). Audio: real speech (flite) and silence.
 *
 * Run: `deno task bench vad` (or `deno run -A bench/vad_bench.ts`).
 *
 * @module
 */
import process from "node:process";
import { SileroVadModel } from "../orchestrator/vad/silero_model.ts";
import { WINDOW_SAMPLES } from "../orchestrator/vad/silero_stream.ts";
import type { VadStream } from "../orchestrator/vad/contract.ts";
import { concat, silence, speak } from "../harness/speech.ts";

const WINDOW_MS = (WINDOW_SAMPLES / 16_000) * 1000;
const TARGET_MS = 0.2;
const OPTIONS = { threshold: 0.5, minSpeechMs: 100, minSilenceMs: 300, speechPadMs: 30 };
const MODEL = new URL("../models/silero/silero_vad_v5.onnx", import.meta.url).pathname;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Speech then silence, long enough to give `windows` windows (looped). */
async function benchAudio(windows: number): Promise<Float32Array> {
  const talk = await speak({ text: "The quick brown fox jumps over the lazy dog, twice a day.", leadMs: 300 });
  const unit = concat(talk.samples, silence(1000));
  const out = new Float32Array(windows * WINDOW_SAMPLES);
  for (let at = 0; at < out.length; at += unit.length) out.set(unit.subarray(0, out.length - at), at);
  return out;
}

async function perWindow(model: SileroVadModel, audio: Float32Array): Promise<number[]> {
  const stream = model.createStream(OPTIONS);
  const costs: number[] = [];
  for (let at = 0; at < audio.length; at += WINDOW_SAMPLES) {
    const started = performance.now();
    await stream.push(audio.subarray(at, at + WINDOW_SAMPLES));
    costs.push(performance.now() - started);
  }
  return costs;
}

/** N streams, each fed one window per round, all rounds' pushes in flight together (as N sessions would be). */
async function interleaved(model: SileroVadModel, audio: Float32Array, streams: number, windows: number) {
  const all: VadStream[] = Array.from({ length: streams }, () => model.createStream(OPTIONS));
  const cpuStart = cpuMs();
  const wallStart = performance.now();
  for (let w = 0; w < windows; w++) {
    const window = audio.subarray(w * WINDOW_SAMPLES, (w + 1) * WINDOW_SAMPLES);
    await Promise.all(all.map((s) => s.push(window)));
  }
  const wallMs = performance.now() - wallStart;
  const cpu = cpuMs() - cpuStart;
  const audioMs = streams * windows * WINDOW_MS;
  return { streams, wallMs, cpu, perCore: audioMs / cpu, perWall: audioMs / wallMs };
}

const model = await SileroVadModel.load(MODEL);
const audio = await benchAudio(2000);
await perWindow(model, audio.subarray(0, 100 * WINDOW_SAMPLES)); // warm-up
const cpuStart = cpuMs();
const costs = await perWindow(model, audio);
const cpuPerWindow = (cpuMs() - cpuStart) / costs.length;
const sorted = [...costs].sort((a, b) => a - b);
const mean = costs.reduce((a, b) => a + b, 0) / costs.length;

console.log(`Silero v5 VAD, one stream, ${costs.length} windows of ${WINDOW_MS} ms (onnxruntime-node CPU, 1 thread)`);
console.log("| figure | ms per window |");
console.log("|---|---|");
console.log(`| wall mean | ${mean.toFixed(3)} |`);
console.log(`| wall p50 | ${percentile(sorted, 50).toFixed(3)} |`);
console.log(`| wall p95 | ${percentile(sorted, 95).toFixed(3)} |`);
console.log(`| wall p99 | ${percentile(sorted, 99).toFixed(3)} |`);
console.log(`| process CPU per window | ${cpuPerWindow.toFixed(3)} |`);
// Wall figures include time the process was descheduled on a shared machine; CPU time per window does not.
const verdict = (ms: number) => `${(ms / TARGET_MS).toFixed(2)}× ${ms <= TARGET_MS ? "(met)" : "(MISSED)"}`;
console.log(
  `target ≤ ${TARGET_MS} ms per window: CPU ${verdict(cpuPerWindow)}, wall p50 ${
    verdict(sorted[sorted.length >> 1])
  }, wall mean ${verdict(mean)}`,
);
console.log(
  `real-time streams per core, one window per run: ${WINDOW_MS} / ${cpuPerWindow.toFixed(3)} = ${
    (WINDOW_MS / cpuPerWindow).toFixed(0)
  }`,
);
console.log("\nN streams interleaved (windows waiting together share one batched run), 300 windows (9.6 s) each");
console.log("| streams | wall s | CPU s | real-time streams per core (audio / CPU) | per wall second |");
console.log("|---|---|---|---|---|");
for (const n of [1, 8, 32, 128]) {
  const r = await interleaved(model, audio, n, 300);
  console.log(
    `| ${n} | ${(r.wallMs / 1000).toFixed(2)} | ${(r.cpu / 1000).toFixed(2)} | ${r.perCore.toFixed(0)} | ${
      r.perWall.toFixed(0)
    } |`,
  );
}
await model.dispose();
