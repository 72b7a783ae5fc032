/**
 * Barge-in bench, on the real stack as deployed (redis-server, a Piper worker with the joe voice, `deno task run-orch`
 * with Silero VAD + Whisper tiny.en; WebSocket clients in this process). While the agent reads a long answer, a
 * client streams an interruption in real time; the interruption's first voiced sample is known from the test audio.
 *
 * Figures (ms, p50/p95 over the runs of each set):
 * - `onset_to_last_frame`: the interruption's first voiced sample → the last agent frame to arrive (loopback: the
 *   moment it left the server). The first voiced sample counts as spoken one frame (20 ms) before the frame holding it
 *   was sent, as a microphone delivers a frame only once it is full.
 * - `onset_to_last_heard`: the same, to the end of the last agent frame as a client plays it (frames played back to
 *   back from the first one's arrival, each no earlier than it arrived): what the user hears.
 * - `barge_in_onset_ms` and `barge_in_ms` as the server reports them (from the onset window it saw, and from the VAD's
 *   decision).
 * - False interruptions: a cough-like noise burst while the agent speaks must not stop it, and the answer must then
 *   arrive whole (every frame once, no gap in the worker's numbering).
 *
 * Two sets of interruptions: `bench` ("Stop, please." in the joe voice, the utterance the work was tuned on) and
 * `held_out` (other words and voices, never looked at while tuning).
 * Target (issue 15.2): onset → last frame p95 ≤ 120 ms. Run: `deno task bench barge_in` (BENCH_RUNS per set,
 * default 12). Results also go to bench/results/barge_in.json.
 *
 * @module
 */
import { VoiceWsClient } from "../shared/protocol/ws_client.ts";
import { startPiperEchoStack } from "../harness/piper_echo_stack.ts";
import { resolveRepoPath } from "../harness/sox.ts";
import { speak, type SpokenAudio } from "../harness/speech.ts";
import { noiseBurst } from "../harness/noise.ts";
import { percentile, toWire } from "../harness/ws_stack.ts";

const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 12);
const KEYS = Array.from({ length: 4 }, (_, i) => `bench-key-${i}`);
const FRAME_MS = 20;
const LEAD_MS = 100;
const LONG = "This answer is long on purpose. It keeps the agent talking for several seconds, so that the " +
  "interruption always lands while it speaks, wherever in a sentence it falls.";
const SETS = {
  bench: [{ text: "Stop, please.", voice: "piper-joe" }],
  held_out: [
    { text: "Wait, that's not right.", voice: "flite-slt" },
    { text: "Hold on a second.", voice: "flite-rms" },
    { text: "No, no, I meant tomorrow.", voice: "espeak" },
  ],
} as const;

const round = (v: number) => Math.round(v * 10) / 10;
const stats = (values: number[]) => ({
  n: values.length,
  p50: round(percentile(values, 50)),
  p95: round(percentile(values, 95)),
});

/** When a client playing the frames back to back finishes the last one that arrived up to `untilMs`. */
function playoutEnd(arrivals: number[]): number {
  let end = -Infinity;
  for (const at of arrivals) end = Math.max(end, at) + FRAME_MS;
  return end;
}

async function speaking(url: string, key: string): Promise<VoiceWsClient> {
  const client = await VoiceWsClient.connect(url, { credential: key });
  await client.start();
  client.sendText(LONG);
  await client.waitFor((e) => e.type === "state" && e.state === "speaking", 60_000);
  return client;
}

async function interruption(url: string, audio: SpokenAudio, run: number) {
  const client = await speaking(url, KEYS[run % KEYS.length]);
  try {
    await new Promise((r) => setTimeout(r, 600 + 37 * (run % 11))); // vary where in a frame the onset falls
    const sentAt = performance.now();
    const onsetAt = sentAt + audio.speechStartMs - FRAME_MS;
    await client.streamRealtime(toWire(audio.samples), 16_000);
    const interrupted = await client.waitFor("response.interrupted", 30_000).catch(() => null);
    if (!interrupted) return null;
    const arrivals = client.frames.filter((f) => f.atMs <= interrupted.receivedAtMs).map((f) => f.atMs);
    const figures = client.ofType("metrics").find((m) => m.metrics.barge_in_ms !== undefined)?.metrics;
    return {
      lastFrame: Math.max(0, (arrivals.at(-1) ?? onsetAt) - onsetAt),
      lastHeard: Math.max(0, playoutEnd(arrivals) - onsetAt),
      serverOnset: figures?.barge_in_onset_ms,
      serverDecision: figures?.barge_in_ms,
    };
  } finally {
    await client.close();
  }
}

async function interruptions(url: string, name: keyof typeof SETS) {
  const audios = await Promise.all(
    SETS[name].map((u) => speak({ ...u, leadMs: LEAD_MS, tailMs: 900, sampleRate: 16_000 })),
  );
  const rows = [];
  for (let run = 0; run < RUNS; run++) rows.push(await interruption(url, audios[run % audios.length], run));
  const done = rows.filter((r) => r !== null);
  const defined = (values: (number | undefined)[]) => values.filter((v): v is number => v !== undefined);
  return {
    onset_to_last_frame_ms: stats(done.map((r) => r.lastFrame)),
    onset_to_last_heard_ms: stats(done.map((r) => r.lastHeard)),
    server_barge_in_onset_ms: stats(defined(done.map((r) => r.serverOnset))),
    server_barge_in_ms: stats(defined(done.map((r) => r.serverDecision))),
    missed: RUNS - done.length,
  };
}

/** Cough-like bursts while the agent speaks: the answer must go on and arrive whole. */
async function falseInterruptions(url: string, runs: number) {
  let kept = 0;
  const failures: string[] = [];
  for (let run = 0; run < runs; run++) {
    const client = await speaking(url, KEYS[run % KEYS.length]);
    try {
      await new Promise((r) => setTimeout(r, 500 + 53 * run));
      const cough = new Float32Array(16 * 600);
      cough.set(noiseBurst(120 + 20 * (run % 4), { rms: 0.08, seed: run + 1 }), 16 * 100);
      await client.streamRealtime(toWire(cough), 16_000);
      const end = await client.waitFor((e) => e.type === "response.done" || e.type === "response.interrupted", 60_000);
      if (end.type !== "response.done") failures.push(`run ${run}: interrupted`);
      else if (end.seqGaps !== 0 || end.frames !== client.frames.length) {
        failures.push(`run ${run}: ${client.frames.length} of ${end.frames} frames, ${end.seqGaps} gaps`);
      } else kept++;
    } finally {
      await client.close();
    }
  }
  return { runs, answers_kept_whole: kept, failures };
}

if (import.meta.main) {
  const { orchestrator, close } = await startPiperEchoStack(KEYS);
  try {
    const load = Deno.loadavg();
    const results: Record<string, unknown> = {
      date: new Date().toISOString(),
      machine: { cores: navigator.hardwareConcurrency, loadavg: load },
      target: { onset_to_last_frame_p95_ms: 120 },
    };
    console.log(
      `machine: ${navigator.hardwareConcurrency} cores, load average ${load.map((l) => l.toFixed(2)).join(" ")}`,
    );
    for (const name of Object.keys(SETS) as (keyof typeof SETS)[]) {
      results[name] = await interruptions(orchestrator.url, name);
      console.log(`barge-in, ${name} interruptions: ${JSON.stringify(results[name])}`);
    }
    results.false_interruptions = await falseInterruptions(orchestrator.url, 4);
    console.log(`false interruptions (noise bursts): ${JSON.stringify(results.false_interruptions)}`);
    for (const name of Object.keys(SETS)) {
      const p95 = (results[name] as { onset_to_last_frame_ms: { p95: number } }).onset_to_last_frame_ms.p95;
      console.log(`${name}: onset → last frame p95 ${p95} ms (target ≤ 120: ${p95 <= 120 ? "met" : "MISSED"})`);
    }
    await Deno.mkdir(resolveRepoPath("bench/results"), { recursive: true });
    await Deno.writeTextFile(resolveRepoPath("bench/results/barge_in.json"), JSON.stringify(results, null, 2));
  } finally {
    await close();
  }
}
