/**
 * `deno task bench cosyvoice`: our CosyVoice 2 pipeline (onnxruntime-node) against upstream's PyTorch streaming
 * inference (`CosyVoice2Model.tts(stream=True)`), side by side in one run, on the same seeded random weights at the
 * real architecture's sizes, on the CPU with the same number of threads: first audio (request → first audio chunk)
 * for the first request after load (ours after the model's `warmup`, which the worker runs at load; upstream has no
 * warm-up) and for the second request, the second request's first chunk stage by stage, RTF, LLM tokens/s, time per stage and peak RSS. Both sides sample with RAS from their own seeds, so their token
 * counts differ; compare rates, not totals.
 *
 * The full-size pack is made once (several GB, minutes): `deno task cosyvoice:export --random full --seed 1 --out
 * $VOICE_CHAT_CACHE/cosyvoice-random-full`; `COSYVOICE_BENCH_PACK` points elsewhere, `COSYVOICE_BENCH_THREADS` sets
 * the threads (default 2).
 *
 * @module
 */
import { join } from "node:path";
import { machineCacheDir, repoPath } from "../scripts/setup/paths.ts";
import { CosyVoiceAdapter } from "../workers/cosyvoice/cosyvoice_adapter.ts";
import type { CosyVoiceModel } from "../workers/cosyvoice/cosyvoice_model.ts";
import type { ort } from "../workers/cosyvoice/onnx_session.ts";

const PACK = Deno.env.get("COSYVOICE_BENCH_PACK") ?? join(machineCacheDir(), "cosyvoice-random-full");
const THREADS = Number(Deno.env.get("COSYVOICE_BENCH_THREADS") ?? "2");
const TEXT = "Hello there, thank you for calling. How can I help you with your order today?";

interface Row {
  /** Ours: the model's `warmup` at load (the worker runs it before serving); upstream has none (NaN). */
  warmup_s: number;
  /** The first request after load (ours after `warmup`, as the worker serves it). */
  first_audio_cold_s: number;
  /** The second request (after a whole request). */
  first_audio_s: number;
  /** First-chunk path of the warm request, stage by stage. */
  first_prefill_s: number;
  first_llm_steps_s: number;
  first_tokens: number;
  first_flow_s: number;
  first_hift_s: number;
  first_other_s: number;
  rtf: number;
  audio_s: number;
  tokens: number;
  llm_tokens_per_s: number;
  llm_s: number;
  flow_s: number;
  hift_s: number;
  peak_rss_mb: number;
}

function peakRssMb(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** One graph run: which stage, when it started and ended (ms, `performance.now()`). */
interface RunSpan {
  key: string;
  start: number;
  end: number;
}

/** Records each `run` of `session` as a span of `key` in `spans`. */
function instrument(session: ort.InferenceSession, key: string, spans: RunSpan[]) {
  const run = session.run.bind(session);
  (session as { run: typeof session.run }).run = (async (...args: Parameters<typeof run>) => {
    const start = performance.now();
    try {
      return await run(...args);
    } finally {
      spans.push({ key, start, end: performance.now() });
    }
  }) as typeof session.run;
}

/** Seconds spent in `key` runs that ended by `until` (all when absent), and how many. */
function spent(spans: RunSpan[], key: string, until = Infinity): { s: number; n: number } {
  const mine = spans.filter((span) => span.key === key && span.end <= until);
  return { s: mine.reduce((sum, span) => sum + span.end - span.start, 0) / 1000, n: mine.length };
}

/** One request through `model`: first audio, total, audio seconds and the run spans. */
async function request(model: CosyVoiceModel, spans: RunSpan[]) {
  spans.length = 0;
  const input = (async function* () {
    yield { text: TEXT, start: 0, end: TEXT.length, flush: true };
  })();
  const started = performance.now();
  let first = 0;
  let samples = 0;
  for await (const chunk of model.synthesize(input, {}, new AbortController().signal)) {
    if (!first) first = performance.now();
    samples += chunk.pcm.length;
  }
  return { started, first, total: (performance.now() - started) / 1000, audio: samples / 48_000 };
}

async function ours(): Promise<Row> {
  const root = await Deno.makeTempDir({ prefix: "cosyvoice-bench-" });
  await Deno.mkdir(join(root, "cosyvoice"));
  await Deno.symlink(PACK, join(root, "cosyvoice", "random-full"));
  try {
    const adapter = new CosyVoiceAdapter({
      voicepacksDir: root,
      device: "cpu",
      intraOpThreads: THREADS,
      strict: true,
      verify: false,
    });
    const model = await adapter.load("cosyvoice2-random-full") as CosyVoiceModel;
    const spans: RunSpan[] = [];
    const { llm, flow, hift } = model.parts.sessions;
    instrument(llm, "llm", spans);
    for (const s of Object.values(flow)) instrument(s, "flow", spans);
    for (const s of Object.values(hift)) instrument(s, "hift", spans);
    // As the worker serves: every model is warmed at load (ModelManager → `warmup`) before its first request.
    const warmupStarted = performance.now();
    await model.warmup();
    const warmupS = (performance.now() - warmupStarted) / 1000;
    const cold = await request(model, spans);
    const warm = await request(model, spans);
    const llmRuns = spent(spans, "llm");
    const firstLlm = spent(spans, "llm", warm.first);
    const prefill = spans.find((span) => span.key === "llm")!;
    const stages = {
      prefill: (prefill.end - prefill.start) / 1000,
      steps: firstLlm.s - (prefill.end - prefill.start) / 1000,
      flow: spent(spans, "flow", warm.first).s,
      hift: spent(spans, "hift", warm.first).s,
    };
    const firstS = (warm.first - warm.started) / 1000;
    // Every LLM run but the prefill produced one token (stop ids aside).
    const tokens = llmRuns.n - 1;
    await model.dispose();
    return {
      warmup_s: warmupS,
      first_audio_cold_s: (cold.first - cold.started) / 1000,
      first_audio_s: firstS,
      first_prefill_s: stages.prefill,
      first_llm_steps_s: stages.steps,
      first_tokens: firstLlm.n - 1,
      first_flow_s: stages.flow,
      first_hift_s: stages.hift,
      first_other_s: firstS - stages.prefill - stages.steps - stages.flow - stages.hift,
      rtf: warm.total / warm.audio,
      audio_s: warm.audio,
      tokens,
      llm_tokens_per_s: tokens / llmRuns.s,
      llm_s: llmRuns.s,
      flow_s: spent(spans, "flow").s,
      hift_s: spent(spans, "hift").s,
      peak_rss_mb: peakRssMb(),
    };
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

async function upstream(): Promise<Row> {
  const out = await new Deno.Command(repoPath(".cache", "cosyvoice-venv", "bin", "python"), {
    args: [
      repoPath("scripts", "cosyvoice", "bench_upstream.py"),
      "--pack",
      PACK,
      "--text",
      TEXT,
      "--threads",
      `${THREADS}`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`bench_upstream.py failed:\n${new TextDecoder().decode(out.stderr).slice(-2000)}`);
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  return JSON.parse(lines.at(-1)!);
}

if (!(await Deno.stat(join(PACK, "voicepack.json")).catch(() => null))) {
  console.log(`cosyvoice bench: no full-size pack at ${PACK}; make it with`);
  console.log(`  deno task cosyvoice:export --random full --seed 1 --out ${PACK}`);
  Deno.exit(1);
}
console.log(`cosyvoice bench: ${PACK}, CPU, ${THREADS} threads each, text of ${TEXT.length} characters`);
const theirs = await upstream();
const mine = await ours();
const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(v >= 100 ? 0 : 3) : "n/a");
const rows: [string, keyof Row][] = [
  ["warm-up at load (s)", "warmup_s"],
  ["first audio, 1st request after load (s)", "first_audio_cold_s"],
  ["first audio, 2nd request (s)", "first_audio_s"],
  ["  prefill (s)", "first_prefill_s"],
  ["  LLM steps to the first hop (s)", "first_llm_steps_s"],
  ["  tokens before the first chunk", "first_tokens"],
  ["  flow, first chunk (s)", "first_flow_s"],
  ["  HiFT, first chunk (s)", "first_hift_s"],
  ["  other (s)", "first_other_s"],
  ["RTF", "rtf"],
  ["audio (s)", "audio_s"],
  ["speech tokens", "tokens"],
  ["LLM tokens/s", "llm_tokens_per_s"],
  ["LLM time (s)", "llm_s"],
  ["flow time (s)", "flow_s"],
  ["HiFT time (s)", "hift_s"],
  ["peak RSS (MB)", "peak_rss_mb"],
];
console.log(`| metric | ours (onnxruntime-node) | upstream (PyTorch) | ours / upstream |`);
console.log(`|---|---|---|---|`);
for (const [label, key] of rows) {
  console.log(`| ${label} | ${fmt(mine[key])} | ${fmt(theirs[key])} | ${fmt(mine[key] / theirs[key])} |`);
}
console.log(
  `targets: first audio ≤ 0.5× upstream: ${
    mine.first_audio_cold_s <= 0.5 * theirs.first_audio_cold_s ? "met" : "missed"
  } (1st request), ${mine.first_audio_s <= 0.5 * theirs.first_audio_s ? "met" : "missed"} (2nd); ` +
    `RTF ≤ 1.0× upstream: ${mine.rtf <= theirs.rtf ? "met" : "missed"}`,
);
