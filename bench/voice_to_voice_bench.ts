/**
 * Voice-to-voice bench, on the real stack as deployed: redis-server, one Piper worker (joe voice) and two
 * `deno task run-orch` processes with Silero VAD + Whisper tiny.en and the echo responder, the same 300 ms endpoint
 * silence (`VAD_MIN_SILENCE_MS=300`): one with the early response (`EARLY_RESPONSE=true`, the default: the final is
 * decoded when the VAD first hears silence and the answer prepared on it) and one without. Turns alternate between
 * the two, so both see the same machine load.
 *
 * Per mode and utterance set: `voice_to_voice_ms` p50/p95 as the server reports it (VAD speech end → first agent
 * frame sent) with its breakdown, the word error rate of the final transcripts against the spoken text, and the turns
 * answered more than once, cut (interrupted) or not at all.
 *
 * Sets: `bench` (ten commands in the joe voice, the utterances the work was tuned on) and `held_out` (ten other
 * sentences in three other voices, never looked at while tuning). Target (issue 15.1): p50 ≤ 450 ms and p95 ≤ 550 ms
 * with the early response, with the same WER as without. Run: `deno task bench voice_to_voice` (BENCH_TURNS per set
 * and mode, default 30). Results also go to bench/results/voice_to_voice.json.
 *
 * @module
 */
import { VoiceWsClient } from "../shared/protocol/ws_client.ts";
import type { TurnMetrics } from "../shared/protocol/server_events.ts";
import { RedisServer } from "../harness/redis_server.ts";
import { resolveRepoPath } from "../harness/sox.ts";
import { speak, type Voice } from "../harness/speech.ts";
import { wordErrorRate } from "../harness/wer.ts";
import { JOE, percentile, requireFixtures, toWire, until } from "../harness/ws_stack.ts";
import { OrchestratorProcess, WorkerProcess } from "../harness/task_process.ts";

const TURNS = Number(Deno.env.get("BENCH_TURNS") ?? 30);
const KEY = "bench-key";
const SETS: Record<string, Array<{ text: string; voice: Voice }>> = {
  bench: [
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
  ].map((text) => ({ text, voice: "piper-joe" })),
  held_out: [
    { text: "Can you book a table for two at seven?", voice: "flite-slt" },
    { text: "I would like to hear the news.", voice: "flite-rms" },
    { text: "How far is the train station from here?", voice: "espeak" },
    { text: "Add milk and bread to my shopping list.", voice: "flite-slt" },
    { text: "Who won the game last night?", voice: "flite-rms" },
    { text: "Turn the volume down a little.", voice: "espeak" },
    { text: "What should I cook for dinner tonight?", voice: "flite-slt" },
    { text: "Send a message to Anna saying I am running late.", voice: "flite-rms" },
    { text: "Is it going to rain this weekend?", voice: "espeak" },
    { text: "Thank you, that is all for now.", voice: "flite-slt" },
  ],
};

const round = (v: number) => Math.round(v * 10) / 10;
const stats = (values: number[]) => ({
  n: values.length,
  p50: round(percentile(values, 50)),
  p95: round(percentile(values, 95)),
});

interface Turn {
  metrics: TurnMetrics;
  wer: number;
  /** What the final said, when it differs from the spoken text. */
  misheard?: string;
  started: number;
  interrupted: number;
  done: number;
}

async function turn(client: VoiceWsClient, samples: Float32Array, text: string): Promise<Turn> {
  const from = client.events.length;
  await client.streamRealtime(toWire(samples), 16_000);
  await client.waitFor("response.done", 30_000, from).catch(() => null);
  await new Promise((r) => setTimeout(r, 300)); // a second answer to the same turn would show up now
  const events = client.events.slice(from);
  const final = events.find((e) => e.type === "transcript.final");
  const metrics = events.find((e) => e.type === "metrics");
  const heard = final?.type === "transcript.final" ? final.text : "";
  const wer = wordErrorRate(text, heard);
  return {
    metrics: metrics?.type === "metrics" ? metrics.metrics : {},
    wer,
    misheard: wer > 0 ? `${text} → ${heard}` : undefined,
    started: events.filter((e) => e.type === "response.started").length,
    interrupted: events.filter((e) => e.type === "response.interrupted").length,
    done: events.filter((e) => e.type === "response.done").length,
  };
}

function summary(turns: Turn[]) {
  const pick = (key: keyof TurnMetrics) => turns.map((t) => t.metrics[key]).filter((v): v is number => v !== undefined);
  return {
    voice_to_voice_ms: stats(pick("voice_to_voice_ms")),
    endpoint_ms: stats(pick("endpoint_ms")),
    asr_final_ms: stats(pick("asr_final_ms")),
    asr_compute_ms: stats(pick("asr_compute_ms")),
    tts_first_audio_ms: stats(pick("tts_first_audio_ms")),
    wer: round(1000 * turns.reduce((n, t) => n + t.wer, 0) / Math.max(1, turns.length)) / 1000,
    answered_twice: turns.filter((t) => t.started > 1).length,
    cut: turns.filter((t) => t.interrupted > 0).length,
    unanswered: turns.filter((t) => t.done === 0).length,
    misheard: [...new Set(turns.flatMap((t) => t.misheard ? [t.misheard] : []))],
  };
}

if (import.meta.main) {
  await requireFixtures();
  const redis = await RedisServer.start();
  const worker = WorkerProcess.start("run-tts-piper", { REDIS_URL: redis.url, DEFAULT_MODEL: JOE });
  const common = {
    REDIS_URL: redis.url,
    ORCHESTRATOR_API_KEYS: KEY,
    TTS_WORKER_ADDRESS: `127.0.0.1:${worker.port}`,
    DEFAULT_MODEL: JOE,
    RESPONDER: "echo",
    VAD_MIN_SILENCE_MS: "300",
    LOG_LEVEL: "warning",
  };
  const modes = {
    early: OrchestratorProcess.start({ ...common, EARLY_RESPONSE: "true" }),
    at_endpoint: OrchestratorProcess.start({ ...common, EARLY_RESPONSE: "false" }),
  };
  try {
    await until(() => /serving piper on/.test(worker.output), "the Piper worker", 120_000);
    await Promise.all(Object.values(modes).map((o) => o.ready(180_000)));
    const load = Deno.loadavg();
    console.log(
      `machine: ${navigator.hardwareConcurrency} cores, load average ${load.map((l) => l.toFixed(2)).join(" ")}`,
    );
    const results: Record<string, unknown> = {
      date: new Date().toISOString(),
      machine: { cores: navigator.hardwareConcurrency, loadavg: load },
      targets: { voice_to_voice_p50_ms: 450, voice_to_voice_p95_ms: 550 },
    };
    for (const [set, utterances] of Object.entries(SETS)) {
      const audio = await Promise.all(
        utterances.map((u) => speak({ ...u, leadMs: 300, tailMs: 900, sampleRate: 16_000 })),
      );
      const clients = Object.fromEntries(
        await Promise.all(
          Object.entries(modes).map(async ([mode, orchestrator]) => {
            const client = await VoiceWsClient.connect(orchestrator.url, { credential: KEY });
            await client.start();
            return [mode, client] as const;
          }),
        ),
      );
      const turns: Record<string, Turn[]> = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
      for (let i = 0; i < TURNS; i++) {
        const order = i % 2 ? Object.keys(modes).reverse() : Object.keys(modes);
        for (const mode of order) {
          turns[mode].push(
            await turn(clients[mode], audio[i % audio.length].samples, utterances[i % audio.length].text),
          );
        }
      }
      await Promise.all(Object.values(clients).map((c) => c.close()));
      const row = Object.fromEntries(Object.entries(turns).map(([mode, t]) => [mode, summary(t)]));
      results[set] = row;
      for (const [mode, s] of Object.entries(row)) console.log(`${set} / ${mode}: ${JSON.stringify(s)}`);
      const early = row.early.voice_to_voice_ms;
      console.log(
        `${set}: early response voice_to_voice p50 ${early.p50} ms (≤ 450: ${early.p50 <= 450 ? "met" : "MISSED"}), ` +
          `p95 ${early.p95} ms (≤ 550: ${early.p95 <= 550 ? "met" : "MISSED"}); WER ${row.early.wer} vs ` +
          `${row.at_endpoint.wer} at the endpoint`,
      );
    }
    await Deno.mkdir(resolveRepoPath("bench/results"), { recursive: true });
    await Deno.writeTextFile(resolveRepoPath("bench/results/voice_to_voice.json"), JSON.stringify(results, null, 2));
  } finally {
    for (const orchestrator of Object.values(modes)) {
      orchestrator.kill("SIGTERM");
      await orchestrator.close(false);
    }
    await worker.close();
    await redis.dispose();
  }
}
