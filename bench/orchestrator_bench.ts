/**
 * Orchestrator bench, on the real stack as deployed (redis-server, a Piper worker with the joe voice and
 * `deno task run-orch` with Silero VAD + Whisper tiny.en as separate processes; clients in this process):
 *
 * 1. outgoing frame jitter p95 at 20 concurrent speaking sessions (the server's `frame_jitter_ms` histogram);
 * 2. concurrent sessions per core with VAD running (CPU of the orchestrator process while N sessions stream audio).
 *
 * Voice-to-voice and barge-in have their own benches (`voice_to_voice_bench.ts`, `barge_in_bench.ts`).
 * Target on the 2-core dev machine: jitter p95 ≤ 5 ms.
 * Run: `deno task bench orchestrator`. Figures are printed and written to bench/results/orchestrator.json.
 *
 * @module
 */
import { VoiceWsClient } from "../shared/protocol/ws_client.ts";
import { startPiperEchoStack } from "../harness/piper_echo_stack.ts";
import { resolveRepoPath } from "../harness/sox.ts";
import { whiteNoise } from "../harness/noise.ts";
import { percentile, toWire } from "../harness/ws_stack.ts";
import { cpuSeconds } from "./process_cpu.ts";

const KEYS = Array.from({ length: 16 }, (_, i) => `bench-key-${i}`); // a key may hold 8 sessions

const round = (v: number) => Math.round(v * 10) / 10;
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
  const { orchestrator, close } = await startPiperEchoStack(KEYS, { VAD_MIN_SILENCE_MS: "300" });
  const { url, healthUrl } = orchestrator;
  try {
    const load = Deno.loadavg();
    console.log(
      `machine: ${navigator.hardwareConcurrency} cores, load average ${load.map((l) => l.toFixed(2)).join(" ")}`,
    );
    const results: Record<string, unknown> = {
      machine: { cores: navigator.hardwareConcurrency, loadavg: load },
      targets: { jitter_p95_ms: 5 },
    };
    const section = async (name: string, run: () => Promise<unknown>) => {
      results[name] = await run();
      console.log(`${name}: ${JSON.stringify(results[name])}`);
    };
    // `deno run -A bench/orchestrator_bench.ts jitter` runs only the named sections.
    const wanted = (name: string) => Deno.args.length === 0 || Deno.args.some((a) => name.startsWith(a));
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
    await close();
  }
}
