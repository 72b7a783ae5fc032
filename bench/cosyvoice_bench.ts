/**
 * `deno task bench cosyvoice`: our CosyVoice 2 pipeline (onnxruntime-node) against upstream's PyTorch streaming
 * inference (`CosyVoice2Model.tts(stream=True)`), side by side in one run, on the same seeded random weights at the
 * real architecture's sizes, on the CPU with the same number of threads: first audio (request → first audio chunk),
 * RTF, LLM tokens/s, time per stage and peak RSS. Both sides sample with RAS from their own seeds, so their token
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
  first_audio_s: number;
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

/** Adds each `run`'s wall time to `totals[key]` (and counts the runs). */
function instrument(
  session: ort.InferenceSession,
  key: string,
  totals: Map<string, number>,
  counts: Map<string, number>,
) {
  const run = session.run.bind(session);
  (session as { run: typeof session.run }).run = (async (...args: Parameters<typeof run>) => {
    const start = performance.now();
    try {
      return await run(...args);
    } finally {
      totals.set(key, (totals.get(key) ?? 0) + (performance.now() - start) / 1000);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }) as typeof session.run;
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
    const totals = new Map<string, number>();
    const counts = new Map<string, number>();
    const { llm, flow, hift } = model.parts.sessions;
    instrument(llm, "llm", totals, counts);
    for (const s of Object.values(flow)) instrument(s, "flow", totals, counts);
    for (const s of Object.values(hift)) instrument(s, "hift", totals, counts);
    const input = (async function* () {
      yield { text: TEXT, start: 0, end: TEXT.length, flush: true };
    })();
    const started = performance.now();
    let first = 0;
    let samples = 0;
    for await (const chunk of model.synthesize(input, {}, new AbortController().signal)) {
      if (!first) first = (performance.now() - started) / 1000;
      samples += chunk.pcm.length;
    }
    const total = (performance.now() - started) / 1000;
    const audio = samples / 48_000;
    // Every LLM run but the prefill produced one token (stop ids aside).
    const tokens = (counts.get("llm") ?? 1) - 1;
    await model.dispose();
    return {
      first_audio_s: first,
      rtf: total / audio,
      audio_s: audio,
      tokens,
      llm_tokens_per_s: tokens / (totals.get("llm") ?? NaN),
      llm_s: totals.get("llm") ?? 0,
      flow_s: totals.get("flow") ?? 0,
      hift_s: totals.get("hift") ?? 0,
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
  ["first audio (s)", "first_audio_s"],
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
  `targets: first audio ≤ 0.5× upstream: ${mine.first_audio_s <= 0.5 * theirs.first_audio_s ? "met" : "missed"}; ` +
    `RTF ≤ 1.0× upstream: ${mine.rtf <= theirs.rtf ? "met" : "missed"}`,
);
