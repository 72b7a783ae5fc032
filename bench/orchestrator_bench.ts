/**
 * Orchestrator bench, on the real stack as deployed (redis-server, a Piper worker with the joe voice and
 * `deno task run-orch` with Silero VAD + Whisper tiny.en as separate processes; clients in this process):
 *
 * 1. voice-to-voice p50/p95 over 30 spoken turns (echo, VAD_MIN_SILENCE_MS=300) with its breakdown;
 * 2. barge-in p95 (server `barge_in_ms`, and as the client sees it: last agent frame after `speech.started`);
 * 3. outgoing frame jitter p95 at 20 concurrent speaking sessions (the server's `frame_jitter_ms` histogram);
 * 4. concurrent sessions per core with VAD running (CPU of the orchestrator process while N sessions stream audio).
 *
 * Targets on the 2-core dev machine: voice-to-voice p50 ≤ 700 ms, barge-in p95 ≤ 40 ms, jitter p95 ≤ 5 ms.
 * Run: `deno task bench orchestrator`. Figures are printed and written to bench/results/orchestrator.json.
 *
 * @module
 */
import { VoiceWsClient } from "../shared/protocol/ws_client.ts";
import type { TurnMetrics } from "../shared/protocol/server_events.ts";
import { RedisServer } from "../tests/helpers/redis_server.ts";
import { resolveRepoPath } from "../tests/helpers/sox.ts";
import { speak } from "../tests/helpers/speech.ts";
import { whiteNoise } from "../tests/helpers/noise.ts";
import { JOE, percentile, requireFixtures, toWire, until } from "../tests/orchestrator/e2e_ws/stack.ts";
import { OrchestratorProcess, WorkerProcess } from "../tests/helpers/task_process.ts";

const KEYS = Array.from({ length: 16 }, (_, i) => `bench-key-${i}`); // a key may hold 8 sessions
const SENTENCES = [
  "Please turn on the kitchen lights.",
  "What time is it?",
  "Set a timer for ten minutes.",
  "How is the weather today?",
  "Play some quiet music.",
  "Remind me to call my mother.",
  "What is the capital of France?",
  "Open the garage door.",
  "Tell me a short joke.",
  "Good morning!",
];
const LONG = "This answer is long on purpose. It keeps the agent talking for several seconds, so that the " +
  "measurement sees many frames leave the server, one every twenty milliseconds, for a good while.";

const round = (v: number) => Math.round(v * 10) / 10;
const stats = (values: number[]) => ({
  n: values.length,
  p50: round(percentile(values, 50)),
  p95: round(percentile(values, 95)),
});
let nextKey = 0;
const connect = (url: string) => VoiceWsClient.connect(url, { credential: KEYS[nextKey++ % KEYS.length] });

/** Quantile from Prometheus cumulative buckets (linear inside a bucket, as `histogram_quantile` does). */
function bucketQuantile(buckets: Array<[number, number]>, q: number): number {
  const total = buckets.at(-1)![1];
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return prevLe;
      return prevLe + ((le - prevLe) * (rank - prevCount)) / Math.max(1, count - prevCount);
    }
    [prevLe, prevCount] = [le, count];
  }
  return prevLe;
}

async function jitterBuckets(healthUrl: string): Promise<Array<[number, number]>> {
  const text = await (await fetch(`${healthUrl}/metrics`)).text();
  // Exported in seconds; the bench reports milliseconds.
  return [...text.matchAll(/^voicechat_frame_jitter_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)]
    .map((m) => [m[1] === "+Inf" ? Infinity : Number(m[1]) * 1000, Number(m[2])] as [number, number]);
}

/** CPU seconds (user + system) of a process so far. */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await Deno.readTextFile(`/proc/${pid}/stat`)).split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
}

async function voiceToVoice(url: string, turns: number) {
  const speeches = await Promise.all(
    SENTENCES.map((text) => speak({ text, voice: "piper-joe", leadMs: 300, tailMs: 900, sampleRate: 16_000 })),
  );
  const client = await connect(url);
  await client.start();
  const rows: TurnMetrics[] = [];
  for (let i = 0; i < turns; i++) {
    const from = client.events.length;
    await client.streamRealtime(toWire(speeches[i % speeches.length].samples), 16_000);
    await client.waitFor("response.done", 60_000, from);
    const metrics = client.events.slice(from).find((e) => e.type === "metrics");
    if (metrics?.type === "metrics") rows.push(metrics.metrics);
    await new Promise((r) => setTimeout(r, 200));
  }
  await client.close();
  const pick = (key: keyof TurnMetrics) => rows.map((r) => r[key]).filter((v): v is number => v !== undefined);
  // The same figure counted from the endpoint decision (after the min-silence wait) instead of the end of speech.
  const afterEndpoint = rows.filter((r) => r.voice_to_voice_ms !== undefined && r.endpoint_ms !== undefined)
    .map((r) => r.voice_to_voice_ms! - r.endpoint_ms!);
  return Object.fromEntries([
    ["voice_to_voice_after_endpoint_ms", stats(afterEndpoint)],
    ...([
      "voice_to_voice_ms",
      "endpoint_ms",
      "asr_final_ms",
      "asr_compute_ms",
      "responder_first_text_ms",
      "tts_first_audio_ms",
    ] as const)
      .map((key) => [key, stats(pick(key))]),
  ]);
}

async function bargeIn(url: string, runs: number) {
  const stop = await speak({ text: "Stop, please.", voice: "piper-joe", leadMs: 100, tailMs: 900, sampleRate: 16_000 });
  const server: number[] = [];
  const client: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c = await connect(url);
    await c.start();
    c.sendText(LONG);
    await c.waitFor((e) => e.type === "state" && e.state === "speaking", 60_000);
    await new Promise((r) => setTimeout(r, 600 + 37 * i)); // vary where in a frame the onset falls
    let onset = { atMs: 0, frames: 0 };
    c.onEvent = (e) => {
      if (e.type === "speech.started") onset = { atMs: e.receivedAtMs, frames: c.frames.length };
    };
    await c.streamRealtime(toWire(stop.samples), 16_000);
    const interrupted = await c.waitFor("response.interrupted", 30_000).catch(() => null);
    const metric = c.ofType("metrics").find((m) => m.metrics.barge_in_ms !== undefined);
    if (interrupted && metric) {
      server.push(metric.metrics.barge_in_ms!);
      const interruptedAt = c.ofType("response.interrupted")[0].receivedAtMs;
      const leaked = c.frames.slice(onset.frames).filter((f) => f.atMs <= interruptedAt);
      client.push(leaked.length ? Math.max(0, leaked.at(-1)!.atMs - onset.atMs) : 0);
    }
    await c.close();
  }
  return {
    server_barge_in_ms: stats(server),
    client_last_frame_after_onset_ms: stats(client),
    missed: runs - server.length,
  };
}

async function jitter(url: string, healthUrl: string, sessions: number) {
  const before = await jitterBuckets(healthUrl);
  const clients = await Promise.all(Array.from({ length: sessions }, () => connect(url)));
  await Promise.all(clients.map((c) => c.start()));
  // About 3 s of speech each: twenty long answers at once are more than one Piper worker on 2 cores can voice in
  // real time (its streams then stall past the router's watchdog), which is TTS capacity, not pacing.
  clients.forEach((c, i) => c.sendText(`Session ${i + 1} is speaking now. Every frame of it leaves on time.`));
  const outcomes = await Promise.all(
    clients.map((c) => c.waitFor((e) => e.type === "response.done" || e.type === "error", 180_000)),
  );
  const after = await jitterBuckets(healthUrl);
  await Promise.all(clients.map((c) => c.close()));
  const delta = after.map(([le, n], i) => [le, n - (before[i]?.[1] ?? 0)] as [number, number]);
  const frames = clients.reduce((n, c) => n + c.frames.length, 0);
  const failed = outcomes.filter((e) => e.type === "error").length;
  return {
    sessions,
    failed,
    frames,
    p50_ms: round(bucketQuantile(delta, 0.5)),
    p95_ms: round(bucketQuantile(delta, 0.95)),
  };
}

async function capacity(url: string, healthUrl: string, pid: number, sessions: number, seconds: number) {
  const noise = toWire(whiteNoise(16_000 * seconds, 0.01, 3));
  const clients = await Promise.all(Array.from({ length: sessions }, () => connect(url)));
  await Promise.all(clients.map((c) => c.start()));
  const cpu0 = await cpuSeconds(pid);
  const t0 = performance.now();
  const streaming = Promise.all(clients.map((c) => c.streamRealtime(noise, 16_000)));
  // How long the orchestrator takes to answer /livez meanwhile: its event loop keeping up (or not).
  const lags: number[] = [];
  let done = false;
  streaming.then(() => done = true);
  while (!done) {
    const start = performance.now();
    await (await fetch(`${healthUrl}/livez`)).text();
    lags.push(performance.now() - start);
    await new Promise((r) => setTimeout(r, 250));
  }
  const wall = (performance.now() - t0) / 1000;
  const cores = ((await cpuSeconds(pid)) - cpu0) / wall;
  const closed = clients.filter((c) => !c.open).length;
  await Promise.all(clients.map((c) => c.close()));
  return {
    sessions,
    cores_used: round(cores * 100) / 100,
    sessions_per_core: round(sessions / Math.max(cores, 0.01)),
    livez_p95_ms: round(percentile(lags, 95)),
    dropped_sessions: closed,
  };
}

if (import.meta.main) {
  await requireFixtures();
  const redis = await RedisServer.start();
  const worker = WorkerProcess.start("run-tts-piper", { REDIS_URL: redis.url, DEFAULT_MODEL: JOE });
  const orchestrator = OrchestratorProcess.start({
    REDIS_URL: redis.url,
    ORCHESTRATOR_API_KEYS: KEYS.join(","),
    TTS_WORKER_ADDRESS: `127.0.0.1:${worker.port}`,
    DEFAULT_MODEL: JOE,
    RESPONDER: "echo",
    VAD_MIN_SILENCE_MS: "300",
    LOG_LEVEL: "warning",
  });
  const { url, healthUrl } = orchestrator;
  try {
    await until(() => /serving piper on/.test(worker.output), "the Piper worker", 120_000);
    await orchestrator.ready(120_000);
    const load = Deno.loadavg();
    console.log(
      `machine: ${navigator.hardwareConcurrency} cores, load average ${load.map((l) => l.toFixed(2)).join(" ")}`,
    );
    const results: Record<string, unknown> = {
      machine: { cores: navigator.hardwareConcurrency, loadavg: load },
      targets: { voice_to_voice_p50_ms: 700, barge_in_p95_ms: 40, jitter_p95_ms: 5 },
    };
    const section = async (name: string, run: () => Promise<unknown>) => {
      results[name] = await run();
      console.log(`${name}: ${JSON.stringify(results[name])}`);
    };
    // `deno run -A bench/orchestrator_bench.ts barge_in jitter` runs only the named sections.
    const wanted = (name: string) => Deno.args.length === 0 || Deno.args.some((a) => name.startsWith(a));
    if (wanted("voice_to_voice")) await section("voice_to_voice", () => voiceToVoice(url, 30));
    if (wanted("barge_in")) await section("barge_in", () => bargeIn(url, 20));
    if (wanted("jitter")) await section("jitter_20_sessions", () => jitter(url, healthUrl, 20));
    if (wanted("capacity")) {
      await section("capacity_vad", async () => {
        const rows = [];
        for (const n of [10, 30, 60, 100]) rows.push(await capacity(url, healthUrl, orchestrator.pid, n, 10));
        return rows;
      });
    }
    await Deno.mkdir(resolveRepoPath("bench/results"), { recursive: true });
    await Deno.writeTextFile(resolveRepoPath("bench/results/orchestrator.json"), JSON.stringify(results, null, 2));
  } finally {
    orchestrator.kill("SIGTERM");
    await orchestrator.close(false);
    await worker.close();
    await redis.dispose();
  }
}
