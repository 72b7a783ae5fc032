/**
 * Piper bench: our Piper worker raced against the reference piper-tts, side by side in one run, on the same voice
 * (joe, the test voice), the same sentences and the same ONNX thread count (1), runs interleaved sentence by
 * sentence so that both see the same machine load.
 *
 * - Ours: `deno task run-tts-piper` as its own process (throwaway redis-server for its registration); a gRPC
 *   Synthesize of the whole text, half-closed. First audio = first TextChunk written → first AudioFrame received;
 *   RTF = time to the final frame / audio duration.
 * - Reference: piper-tts in-process in Python (`bench/reference/piper_reference.py bench`). First audio = start of
 *   its streaming `synthesize()` → first chunk; RTF = time to the last chunk / audio duration.
 *
 * CPU per audio second: the CPU time (all threads) of our worker process, read from /proc around each call, and of
 * the reference's process, over the audio produced. On a machine shared with other work, wall-clock RTF mostly
 * measures who got the cores; CPU time measures the work each side does for the same audio. Ours includes
 * everything the worker does for the call (phonemes, both model parts, resampling to 48 kHz, gRPC framing).
 *
 * Two sentence sets: the bench set, which the worker's tuning (chunk plan, span rules) looked at, and a held-out
 * set that it never saw; both are reported, each with its own ratios, and the targets are judged on each.
 *
 * Targets (issue 15.3): our first audio ≤ 0.4× the reference's; our RTF ≤ 1.0× the reference's.
 * Run: `deno task bench piper`. Results also go to bench/results/piper.json.
 *
 * @module
 */
import { credentials } from "@grpc/grpc-js";
import { type AudioFrame, TTSServiceClient } from "../proto/gen/tts.ts";
import { FRAME_MS } from "../shared/audio/format.ts";
import { RedisServer } from "../harness/redis_server.ts";
import { WorkerProcess } from "../harness/task_process.ts";
import { cpuSeconds } from "./process_cpu.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const MODEL_ID = "piper-en-us-joe-medium";
const ONNX = `${ROOT}voicepacks/piper/en-us-joe-medium/en_US-joe-medium.onnx`;
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 3);
const SENTENCES = [
  "Hello there. How can I help you today?",
  "Although it was raining heavily all morning, we decided to go for a long walk along the river.",
  "The quarterly report shows a twelve percent increase in sales, driven mostly by strong demand in Europe.",
  "Sure, I can help with that. Your flight leaves at six forty five tomorrow morning, from gate twenty three.",
  "Thank you for calling. All of our agents are currently busy, so please stay on the line.",
  "The museum opens at nine in the morning and closes at five in the evening, except on public holidays.",
  "I'm sorry, I didn't quite catch that. Could you please repeat your question a little more slowly?",
  "Once upon a time, in a land far, far away, there lived a wise old king who loved to tell stories.",
];
/** Never used while tuning: short answers, numbers, questions, a list. */
const HELD_OUT = [
  "Yes.",
  "Okay, done.",
  "It is twenty past four in the afternoon.",
  "Your package was shipped on Monday and should arrive by Thursday at the latest.",
  "Would you like me to read the recipe again, or shall we move on to the next step?",
  "We need eggs, flour, sugar, butter, and a pinch of salt.",
  "Turn left at the second traffic light, then keep going straight for about two kilometers.",
  "Good night!",
];
const SETS = { bench: SENTENCES, held_out: HELD_OUT };

interface Run {
  firstMs: number;
  totalMs: number;
  /** CPU time the synthesizing process spent on this call. */
  cpuMs: number;
  audioMs: number;
}

/** Reads JSON lines from a child's stdout one at a time. */
class LineReader {
  #buffer = "";
  readonly #reader: ReadableStreamDefaultReader<string>;
  constructor(stream: ReadableStream<Uint8Array<ArrayBuffer>>) {
    this.#reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  }
  async next<T>(): Promise<T> {
    while (!this.#buffer.includes("\n")) {
      const { value, done } = await this.#reader.read();
      if (done) throw new Error("the reference process ended early");
      this.#buffer += value;
    }
    const at = this.#buffer.indexOf("\n");
    const line = this.#buffer.slice(0, at);
    this.#buffer = this.#buffer.slice(at + 1);
    return JSON.parse(line) as T;
  }
}

async function ours(client: TTSServiceClient, pid: number, sessionId: string, text: string): Promise<Run> {
  const cpuBefore = await cpuSeconds(pid);
  const run = await new Promise<Omit<Run, "cpuMs">>((resolve, reject) => {
    const stream = client.synthesize();
    const sent = performance.now();
    let firstMs = 0;
    let audioBytes = 0;
    stream.on("data", (frame: AudioFrame) => {
      if (!firstMs) firstMs = performance.now() - sent;
      audioBytes += frame.audio.length;
      if (frame.isFinal) {
        resolve({ firstMs, totalMs: performance.now() - sent, audioMs: (audioBytes / 1920) * FRAME_MS });
      }
    });
    stream.on("error", reject);
    stream.write({ sessionId, text, endOfInput: true, flush: false });
    stream.end();
  });
  return { ...run, cpuMs: 1000 * ((await cpuSeconds(pid)) - cpuBefore) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const pad = (s: string | number, n: number) => String(s).padStart(n);

async function main() {
  await Deno.stat(ONNX).catch(() => {
    throw new Error(`the joe voice is missing (${ONNX}): run \`deno task setup\``);
  });
  const redis = await RedisServer.start();
  const worker = WorkerProcess.start("run-tts-piper", {
    REDIS_URL: redis.url,
    DEFAULT_MODEL: MODEL_ID,
    PIPER_INTRA_OP_THREADS: "1",
    LOG_LEVEL: "warning",
  });
  const python = new Deno.Command(`${ROOT}.cache/venv/bin/python`, {
    args: [`${ROOT}bench/reference/piper_reference.py`, "bench", "--model", ONNX, "--threads", "1"],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reference = new LineReader(python.stdout);
  const toReference = python.stdin.getWriter();
  const client = new TTSServiceClient(`127.0.0.1:${worker.port}`, credentials.createInsecure());
  try {
    await new Promise<void>((resolve, reject) =>
      client.waitForReady(Date.now() + 60_000, (e) => e ? reject(e) : resolve())
    );
    await new Promise<void>((resolve, reject) =>
      client.startSession({ sessionId: "bench", modelId: MODEL_ID }, (e) => e ? reject(e) : resolve())
    );
    await reference.next(); // warmed up
    await ours(client, worker.pid, "bench", "Warming up the stream."); // the worker warmed its model on load; this warms gRPC
    const all = [...SENTENCES, ...HELD_OUT];
    const results = all.map(() => ({ ours: [] as Run[], reference: [] as Run[] }));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, text] of all.entries()) {
        // Alternate who goes first, so that neither always runs right after the other's burst of work.
        const theirs = async () => {
          await toReference.write(new TextEncoder().encode(`${text}\n`));
          const r = await reference.next<
            { first_audio_ms: number; compute_ms: number; cpu_ms: number; audio_ms: number }
          >();
          results[i].reference.push({
            firstMs: r.first_audio_ms,
            totalMs: r.compute_ms,
            cpuMs: r.cpu_ms,
            audioMs: r.audio_ms,
          });
        };
        const mine = async () => void results[i].ours.push(await ours(client, worker.pid, "bench", text));
        for (const run of (round + i) % 2 ? [mine, theirs] : [theirs, mine]) await run();
      }
    }
    const summary = Object.fromEntries(
      Object.entries(SETS).map(([name, texts]) => {
        const offset = name === "bench" ? 0 : SENTENCES.length;
        return [name, report(name, texts, results.slice(offset, offset + texts.length))];
      }),
    );
    Deno.mkdirSync(`${ROOT}bench/results`, { recursive: true });
    Deno.writeTextFileSync(
      `${ROOT}bench/results/piper.json`,
      JSON.stringify({ rounds: ROUNDS, date: new Date().toISOString(), summary, sets: SETS, results }, null, 2),
    );
  } finally {
    client.close();
    await toReference.close().catch(() => {});
    await python.status;
    worker.kill("SIGTERM");
    await worker.close(false);
    await redis.stop();
  }
}

function report(name: string, texts: string[], results: { ours: Run[]; reference: Run[] }[]) {
  const rtf = (r: Run) => r.totalMs / r.audioMs;
  console.log(
    `\nPiper, ${name} sentences: ours (gRPC worker) vs piper-tts 1.8.0 (in-process), voice ${MODEL_ID}, ` +
      `1 ONNX thread, ${ROUNDS} rounds, medians per sentence`,
  );
  console.log(
    `${pad("#", 2)} ${pad("words", 5)} ${pad("audio s", 7)} | ${pad("first ms ours", 13)} ${pad("ref", 6)} ${
      pad("ratio", 6)
    } | ${pad("RTF ours", 8)} ${pad("ref", 6)} ${pad("ratio", 6)}`,
  );
  const rtfOurs: number[] = [];
  const rtfRef: number[] = [];
  for (const [i, r] of results.entries()) {
    const fo = median(r.ours.map((x) => x.firstMs)), fr = median(r.reference.map((x) => x.firstMs));
    const ro = median(r.ours.map(rtf)), rr = median(r.reference.map(rtf));
    rtfOurs.push(...r.ours.map(rtf));
    rtfRef.push(...r.reference.map(rtf));
    console.log(
      `${pad(i + 1, 2)} ${pad(texts[i].split(/\s+/).length, 5)} ${
        pad((median(r.reference.map((x) => x.audioMs)) / 1000).toFixed(2), 7)
      } | ${pad(fo.toFixed(0), 13)} ${pad(fr.toFixed(0), 6)} ${pad((fo / fr).toFixed(2), 6)} | ${
        pad(ro.toFixed(3), 8)
      } ${pad(rr.toFixed(3), 6)} ${pad((ro / rr).toFixed(2), 6)}`,
    );
  }
  const allFirstOurs = results.flatMap((r) => r.ours.map((x) => x.firstMs));
  const allFirstRef = results.flatMap((r) => r.reference.map((x) => x.firstMs));
  const firstRatio = median(allFirstOurs) / median(allFirstRef);
  const rtfRatio = mean(rtfOurs) / mean(rtfRef);
  console.log(
    `${name}: first audio: ours median ${median(allFirstOurs).toFixed(0)} ms, reference ${
      median(allFirstRef).toFixed(0)
    } ms → ratio ${firstRatio.toFixed(2)} (target ≤ 0.4: ${firstRatio <= 0.4 ? "met" : "MISSED"})`,
  );
  console.log(
    `${name}: RTF: ours mean ${mean(rtfOurs).toFixed(3)}, reference ${mean(rtfRef).toFixed(3)} → ratio ${
      rtfRatio.toFixed(2)
    } (target ≤ 1.0: ${rtfRatio <= 1 ? "met" : "MISSED"})`,
  );
  // Summed over the set: each call's CPU reading is in 10 ms ticks, which average out over many calls.
  const cpuPerAudio = (runs: Run[]) => runs.reduce((n, r) => n + r.cpuMs, 0) / runs.reduce((n, r) => n + r.audioMs, 0);
  const cpuOurs = cpuPerAudio(results.flatMap((r) => r.ours));
  const cpuRef = cpuPerAudio(results.flatMap((r) => r.reference));
  const cpuRatio = cpuOurs / cpuRef;
  console.log(
    `${name}: CPU per audio second: ours ${cpuOurs.toFixed(3)}, reference ${cpuRef.toFixed(3)} → ratio ${
      cpuRatio.toFixed(2)
    }`,
  );
  return {
    firstRatio,
    rtfRatio,
    cpuRatio,
    firstMsOurs: median(allFirstOurs),
    firstMsReference: median(allFirstRef),
  };
}

if (import.meta.main) await main();
