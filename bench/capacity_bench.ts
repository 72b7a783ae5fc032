/**
 * Capacity with real speech: how many sessions talking at once this machine holds with Whisper tiny.en and Piper (joe)
 * on its CPU while voice-to-voice p95 stays ≤ 1.5 s. Stack as deployed: redis-server, one Piper worker process, one
 * orchestrator process (Silero VAD, Whisper tiny.en, echo responder, the default early response).
 *
 * Stepped load: at each step N sessions each speak `BENCH_TURNS_PER_SESSION` (default 3) real utterances in real
 * time (joe voice, starts spread over two seconds so that they do not talk in lockstep), each waiting for its answer.
 * Per step: `voice_to_voice_ms` p50/p95 (the server's figure, per turn), turns left unanswered, the CPU of the
 * orchestrator and of the worker process (cores, from /proc), how long the orchestrator took to answer `/livez`
 * meanwhile (its event loop), and the ASR compute and TTS first-audio medians. The steps stop once p95 is three times
 * the limit or a turn goes unanswered. What limits it is named from the first step over the limit: the process whose
 * CPU saturates, the event loop, or CPU taken by other work on the machine.
 *
 * Run: `deno task bench capacity`. Prints a table, writes bench/results/capacity.json and the plot
 * bench/out/capacity.svg (linked from docs/BENCHMARKS.md). `BENCH_STEPS` overrides the steps (e.g. `1,2,4,8`).
 *
 * @module
 */
import { VoiceWsClient } from "../shared/protocol/ws_client.ts";
import type { TurnMetrics } from "../shared/protocol/server_events.ts";
import { startPiperEchoStack } from "../harness/piper_echo_stack.ts";
import type { OrchestratorProcess } from "../harness/task_process.ts";
import { resolveRepoPath } from "../harness/sox.ts";
import { speak } from "../harness/speech.ts";
import { percentile, toWire } from "../harness/ws_stack.ts";
import { lineChart } from "./svg_plot.ts";
import { cpuSeconds } from "./process_cpu.ts";

const LIMIT_MS = 1_500;
const STEPS = (Deno.env.get("BENCH_STEPS") ?? "1,2,3,4,6,8,10,12").split(",").map(Number);
const TURNS = Number(Deno.env.get("BENCH_TURNS_PER_SESSION") ?? 3);
const KEYS = Array.from({ length: 8 }, (_, i) => `capacity-key-${i}`); // a key may hold 8 sessions
const SENTENCES = [
  "Please turn on the kitchen lights.",
  "What time is it?",
  "Set a timer for ten minutes.",
  "How is the weather today?",
  "Remind me to call my mother.",
  "Open the garage door.",
];

const round = (v: number) => Math.round(v * 10) / 10;

async function session(url: string, key: string, audio: Float32Array[], delayMs: number) {
  await new Promise((r) => setTimeout(r, delayMs));
  const client = await VoiceWsClient.connect(url, { credential: key });
  const turns: Array<TurnMetrics | null> = [];
  try {
    await client.start();
    for (let i = 0; i < TURNS; i++) {
      const from = client.events.length;
      await client.streamRealtime(toWire(audio[i % audio.length]), 16_000);
      const done = await client.waitFor("response.done", 20_000, from).catch(() => null);
      const metrics = client.events.slice(from).find((e) => e.type === "metrics");
      turns.push(done && metrics?.type === "metrics" ? metrics.metrics : null);
    }
  } finally {
    await client.close();
  }
  return turns;
}

async function step(orchestrator: OrchestratorProcess, workerPid: number, sessions: number, audio: Float32Array[]) {
  const cpu0 = await Promise.all([cpuSeconds(orchestrator.pid), cpuSeconds(workerPid)]);
  const t0 = performance.now();
  const running = Promise.all(
    Array.from(
      { length: sessions },
      (_, i) => session(orchestrator.url, KEYS[i % KEYS.length], audio.slice(i % audio.length), (2_000 * i) / sessions),
    ),
  );
  const lags: number[] = [];
  let done = false;
  running.finally(() => done = true);
  while (!done) {
    const start = performance.now();
    await (await fetch(`${orchestrator.healthUrl}/livez`)).text();
    lags.push(performance.now() - start);
    await new Promise((r) => setTimeout(r, 250));
  }
  const turns = (await running).flat();
  const wall = (performance.now() - t0) / 1000;
  const cpu1 = await Promise.all([cpuSeconds(orchestrator.pid), cpuSeconds(workerPid)]);
  const answered = turns.filter((t): t is TurnMetrics => t !== null);
  const pick = (key: keyof TurnMetrics) => answered.map((t) => t[key]).filter((v): v is number => v !== undefined);
  const v2v = pick("voice_to_voice_ms");
  return {
    sessions,
    turns: turns.length,
    unanswered: turns.length - answered.length,
    v2v_p50_ms: round(percentile(v2v, 50)),
    v2v_p95_ms: round(percentile(v2v, 95)),
    asr_compute_p50_ms: round(percentile(pick("asr_compute_ms"), 50)),
    tts_first_audio_p50_ms: round(percentile(pick("tts_first_audio_ms"), 50)),
    orchestrator_cores: round(((cpu1[0] - cpu0[0]) / wall) * 100) / 100,
    worker_cores: round(((cpu1[1] - cpu0[1]) / wall) * 100) / 100,
    livez_p95_ms: round(percentile(lags, 95)),
    loadavg_1m: round(Deno.loadavg()[0]),
  };
}

type Step = Awaited<ReturnType<typeof step>>;

/** Names what gave out at the first step over the limit, from the figures of that step. */
function limitOf(over: Step | undefined, cores: number): string {
  if (!over) return "not reached within the steps";
  if (over.livez_p95_ms > 200) return `the orchestrator's event loop (/livez p95 ${over.livez_p95_ms} ms)`;
  const busy = over.orchestrator_cores + over.worker_cores;
  if (busy < 0.5 * cores && over.loadavg_1m > cores) {
    return `CPU taken by other work on the machine: load average ${over.loadavg_1m} on ${cores} cores, the two ` +
      `processes got ${round(busy)} cores (Whisper compute p50 ${over.asr_compute_p50_ms} ms)`;
  }
  const who = over.orchestrator_cores >= over.worker_cores
    ? `ASR and VAD in the orchestrator (${over.orchestrator_cores} cores; Whisper compute p50 ${over.asr_compute_p50_ms} ms)`
    : `TTS in the Piper worker (${over.worker_cores} cores; first audio p50 ${over.tts_first_audio_p50_ms} ms)`;
  return `CPU: the two processes used ${round(busy)} of ${cores} cores, most of it ${who}`;
}

if (import.meta.main) {
  const { worker, orchestrator, close } = await startPiperEchoStack(KEYS, { VAD_MIN_SILENCE_MS: "300" });
  try {
    const audio = await Promise.all(
      SENTENCES.map(async (text) =>
        (await speak({ text, voice: "piper-joe", leadMs: 300, tailMs: 900, sampleRate: 16_000 })).samples
      ),
    );
    const cores = navigator.hardwareConcurrency;
    const load = Deno.loadavg();
    console.log(`machine: ${cores} cores, load average ${load.map((l) => l.toFixed(2)).join(" ")}`);
    const steps: Step[] = [];
    for (const n of STEPS) {
      const row = await step(orchestrator, worker.pid, n, audio);
      steps.push(row);
      console.log(JSON.stringify(row));
      // One more step past the limit shows the trend; far past it, or with turns lost, more steps say nothing new.
      if (row.v2v_p95_ms > 3 * LIMIT_MS || row.unanswered > 0) break;
    }
    const within = steps.filter((s) => s.v2v_p95_ms <= LIMIT_MS && s.unanswered === 0);
    const capacity = within.length ? Math.max(...within.map((s) => s.sessions)) : 0;
    const over = steps.find((s) => s.v2v_p95_ms > LIMIT_MS || s.unanswered > 0);
    const limit = limitOf(over, cores);
    console.log(
      `capacity: ${capacity} concurrent sessions with voice_to_voice p95 ≤ ${LIMIT_MS} ms; limited by ${limit}`,
    );
    const date = new Date().toISOString();
    await Deno.mkdir(resolveRepoPath("bench/results"), { recursive: true });
    await Deno.writeTextFile(
      resolveRepoPath("bench/results/capacity.json"),
      JSON.stringify({ date, machine: { cores, loadavg: load }, limitMs: LIMIT_MS, capacity, limit, steps }, null, 2),
    );
    await Deno.mkdir(resolveRepoPath("bench/out"), { recursive: true });
    await Deno.writeTextFile(
      resolveRepoPath("bench/out/capacity.svg"),
      lineChart({
        title: `Capacity with real speech (${cores} cores, ${date.slice(0, 10)}): ${capacity} sessions`,
        xLabel: "concurrent sessions",
        leftLabel: "voice_to_voice (ms)",
        rightLabel: "CPU (cores)",
        references: [{ value: LIMIT_MS, label: `p95 limit ${LIMIT_MS} ms` }],
        series: [
          { name: "v2v p95", color: "#1f5fbf", points: steps.map((s) => [s.sessions, s.v2v_p95_ms]) },
          { name: "v2v p50", color: "#6fa0e8", points: steps.map((s) => [s.sessions, s.v2v_p50_ms]) },
          {
            name: "orchestrator CPU",
            color: "#2a9d4b",
            right: true,
            dashed: true,
            points: steps.map((s) => [s.sessions, s.orchestrator_cores]),
          },
          {
            name: "Piper worker CPU",
            color: "#d9822b",
            right: true,
            dashed: true,
            points: steps.map((s) => [s.sessions, s.worker_cores]),
          },
        ],
      }),
    );
  } finally {
    await close();
  }
}
