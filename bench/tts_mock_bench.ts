/**
 * Mock TTS worker over loopback gRPC: time to first frame and PAUSE-to-silence latency, 200 runs each.
 *
 * The worker runs as its own process, started exactly as `deno task run-tts-mock` starts it (with a throwaway
 * redis-server for its registration), so client and worker do not share an event loop.
 * - first frame: the client writes the first TextChunk → the first AudioFrame arrives (`tts_first_audio_ms` plus
 *   the loopback hop and the stream setup).
 * - PAUSE-to-silence: the client sends Control(PAUSE) while the stream is mid-utterance → the last frame arrives
 *   (frames already in flight count; "silence" = no frame for 150 ms). 0 when no frame came after PAUSE.
 * Targets (issue 2): first frame p95 < 20 ms, PAUSE-to-silence p95 < 10 ms.
 *
 * Two clients side by side, alternating run by run: one with grpc-js's default HTTP/2 receive window (64 KiB, about
 * 34 frames may be on the wire when PAUSE lands) and one with a 16 KiB window (`grpc-node.flow_control_window`), to
 * show how much of PAUSE-to-silence is frames already in flight rather than the worker's reaction.
 *
 * @module
 */
import { credentials } from "@grpc/grpc-js";
import { ControlCommand, TTSServiceClient } from "../proto/gen/tts.ts";
import { RedisServer } from "../harness/redis_server.ts";
import { WorkerProcess } from "../harness/task_process.ts";
import { unary } from "../harness/tts_stream.ts";
import { percentile } from "../harness/ws_stack.ts";

const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 200);
const SILENCE_MS = 150;
const LONG_TEXT = "The quick brown fox jumps over the lazy dog. ".repeat(60); // 2700 chars = 162 s of audio
const FRAMES_BEFORE_PAUSE = 10;

/** One run: stream the long text, PAUSE after a few frames, measure, then STOP. */
async function run(client: TTSServiceClient, sessionId: string) {
  const stream = client.synthesize();
  let firstAt = 0, lastAt = 0, frames = 0, afterPause = 0, final = false;
  let pauseAt = 0;
  let reachedPausePoint = () => {};
  const pausePoint = new Promise<void>((resolve) => reachedPausePoint = resolve);
  const ended = new Promise<void>((resolve) => {
    stream.on("data", (frame: { isFinal: boolean }) => {
      const now = performance.now();
      if (!firstAt) firstAt = now;
      lastAt = now;
      if (pauseAt) afterPause++;
      if (++frames === FRAMES_BEFORE_PAUSE) reachedPausePoint();
      final ||= frame.isFinal;
    });
    stream.on("error", () => resolve());
    stream.on("end", () => resolve());
  });
  const sentAt = performance.now();
  stream.write({ sessionId, text: LONG_TEXT, endOfInput: true, flush: false });
  await pausePoint;
  pauseAt = performance.now();
  await unary(client.control.bind(client), { sessionId, command: ControlCommand.CONTROL_COMMAND_PAUSE });
  while (performance.now() - Math.max(lastAt, pauseAt) < SILENCE_MS) await new Promise((r) => setTimeout(r, 10));
  await unary(client.control.bind(client), { sessionId, command: ControlCommand.CONTROL_COMMAND_STOP });
  await ended;
  return {
    firstFrameMs: firstAt - sentAt,
    pauseToSilenceMs: afterPause ? lastAt - pauseAt : 0,
    framesAfterPause: afterPause,
    midStream: !final,
  };
}

function row(name: string, v: number[], target: number): string {
  const p95 = percentile(v, 95);
  const cells = [percentile(v, 50), p95, Math.max(...v)].map((x) => x.toFixed(2));
  return `| ${name} | ${cells.join(" | ")} | ${target} | ${(p95 / target).toFixed(2)} | ${
    p95 < target ? "pass" : "FAIL"
  } |`;
}

type RunResult = Awaited<ReturnType<typeof run>>;

function report(label: string, results: RunResult[]): boolean {
  const first = results.map((r) => r.firstFrameMs);
  const pause = results.map((r) => r.pauseToSilenceMs);
  const inFlight = results.map((r) => r.framesAfterPause);
  console.log(row(`first frame (${label})`, first, 20));
  console.log(row(`PAUSE-to-silence (${label})`, pause, 10));
  console.log(
    `|   frames after PAUSE (${label}) | ${percentile(inFlight, 50)} | ${percentile(inFlight, 95)} | ${
      Math.max(...inFlight)
    } | | | mid-utterance ${results.filter((r) => r.midStream).length}/${results.length} |`,
  );
  return percentile(first, 95) < 20 && percentile(pause, 95) < 10;
}

async function waitUntilServing(client: TTSServiceClient, worker: WorkerProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (true) {
    try {
      await unary(client.getCapabilities.bind(client), {});
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`worker did not start: ${error}\n${worker.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

if (import.meta.main) {
  const redis = await RedisServer.start();
  const worker = WorkerProcess.start("run-tts-mock", {
    REDIS_URL: redis.url,
    WORKER_NAME: "bench-mock",
    WORKER_MAX_TEXT_CHARS: "4000",
    LOG_LEVEL: "warning",
  });
  const address = `127.0.0.1:${worker.port}`;
  const clients = {
    "64 KiB window": new TTSServiceClient(address, credentials.createInsecure()),
    "16 KiB window": new TTSServiceClient(address, credentials.createInsecure(), {
      "grpc-node.flow_control_window": 16 * 1024,
    }),
  };
  try {
    const entries = Object.entries(clients);
    await waitUntilServing(entries[0][1], worker);
    const results = new Map<string, RunResult[]>(entries.map(([label]) => [label, []]));
    for (const [label, client] of entries) {
      await unary(client.startSession.bind(client), { sessionId: label.replace(/\W/g, "_"), modelId: "" });
      for (let i = 0; i < 5; i++) await run(client, label.replace(/\W/g, "_")); // warm up JIT and connections
    }
    for (let i = 0; i < RUNS; i++) {
      for (const [label, client] of entries) results.get(label)!.push(await run(client, label.replace(/\W/g, "_")));
    }
    console.log(`mock worker (own process) over loopback gRPC, ${RUNS} runs per client, alternating`);
    console.log("| figure | p50 ms | p95 ms | max ms | target p95 ms | p95/target | |");
    console.log("|---|---|---|---|---|---|---|");
    const ok = entries.map(([label]) => report(label, results.get(label)!));
    const p95 = (label: string) => percentile(results.get(label)!.map((r) => r.pauseToSilenceMs), 95);
    console.log(
      `PAUSE-to-silence p95 ratio 16 KiB / 64 KiB window: ${(p95(entries[1][0]) / p95(entries[0][0])).toFixed(2)}`,
    );
    if (!ok[0]) Deno.exitCode = 1;
  } finally {
    for (const client of Object.values(clients)) client.close();
    worker.kill("SIGTERM");
    await worker.close(false);
    await redis.dispose();
  }
}
