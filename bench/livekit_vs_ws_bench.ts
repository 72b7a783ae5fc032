/**
 * Voice-to-voice over the LiveKit path vs the WebSocket path, same utterances, same run, same orchestrator.
 *
 * Stack: redis, one Piper worker process (joe voice), the orchestrator composition with real Silero VAD and Whisper
 * tiny.en, a real LiveKit server and the LiveKit agent transport on the orchestrator's session manager. Two clients:
 * a WebSocket client (real-time 20 ms PCM frames) and a LiveKit user (`@livekit/rtc-node`, a real WebRTC participant:
 * Opus both ways). Utterances alternate between the two paths so both see the same machine load.
 *
 * Figures per path (ms):
 * - `voice_to_voice_ms` as the server reports it (VAD speech end → first agent frame handed to the transport);
 * - client voice-to-voice: the moment the client's audio reached the end of speech → the first audible agent audio
 *   received by the client (includes the transport both ways: WebRTC jitter buffer and Opus, or TCP).
 * Reported as p50/p95 and as LiveKit/WebSocket ratios. `BENCH_RUNS` (default 2) rounds over 4 sentences.
 *
 * @module
 */
import { float32ToInt16 } from "../shared/audio/pcm.ts";
import { startLiveKitTransport } from "../orchestrator/transports/livekit/transport.ts";
import { mintUserToken, newRoomTicket } from "../orchestrator/transports/livekit/tokens.ts";
import type { VoiceWsClient } from "../shared/protocol/ws_client.ts";
import { speak } from "../harness/speech.ts";
import { percentile, startStack } from "../harness/ws_stack.ts";
import { LiveKitServer } from "../harness/livekit_server.ts";
import { LiveKitTestUser } from "../harness/livekit_test_user.ts";

const ROUNDS = Number(Deno.env.get("BENCH_RUNS") ?? 2);
const SENTENCES = [
  "Please turn on the kitchen lights.",
  "What is the weather like tomorrow morning?",
  "Set a timer for ten minutes.",
  "Play some quiet music in the living room.",
];
const RATE = 48_000;
const LEAD_MS = 300;
/** A 10 ms block louder than this (s16 RMS, about −50 dBFS) counts as audible agent audio. */
const AUDIBLE = 100;

interface Turn {
  server: number;
  client: number;
}

function rmsOf(samples: Int16Array, from: number, to: number): number {
  let energy = 0;
  for (let i = from; i < to; i++) energy += samples[i] * samples[i];
  return Math.sqrt(energy / Math.max(1, to - from));
}

/** Arrival time of the first audible 10 ms of agent audio after `afterMs`, from timestamped chunks. */
function firstAudible(chunks: Array<{ samples: Int16Array; atMs: number }>, afterMs: number): number | undefined {
  for (const chunk of chunks) {
    if (chunk.atMs < afterMs) continue;
    for (let at = 0; at + 480 <= chunk.samples.length; at += 480) {
      if (rmsOf(chunk.samples, at, at + 480) > AUDIBLE) return chunk.atMs;
    }
  }
  return undefined;
}

const utterances = await Promise.all(
  SENTENCES.map((text) => speak({ text, voice: "piper-joe", leadMs: LEAD_MS, tailMs: 1_500, sampleRate: RATE })),
);
const stack = await startStack();
const livekit = await LiveKitServer.start();
const transport = await startLiveKitTransport({
  url: livekit.url,
  apiKey: livekit.apiKey,
  apiSecret: livekit.apiSecret,
  acceptor: stack.orchestrator.manager.accept,
});
let ws: VoiceWsClient | null = null;
let user: LiveKitTestUser | null = null;
const results: Record<"livekit" | "websocket", Turn[]> = { livekit: [], websocket: [] };
try {
  ws = await stack.connect();
  await ws.start({ audio: { sampleRate: RATE } });
  const ticket = newRoomTicket();
  await transport.dispatch({ ticket, principal: "bench", start: { type: "session.start" } });
  user = await LiveKitTestUser.join(livekit.url, await mintUserToken(livekit, ticket));
  await user.waitForEvent("session.started");

  const wsClient = ws;
  const lkUser = user;
  /** WebSocket: real-time frames; speech ends on the wire `speechEndMs` after the first frame. */
  const overWebSocket = async (samples: Int16Array, speechEndMs: number) => {
    const fromEvent = wsClient.events.length;
    const fromFrame = wsClient.frames.length;
    const t0 = performance.now();
    await wsClient.streamRealtime(samples, RATE);
    await wsClient.waitFor("response.done", 60_000, fromEvent);
    const metrics = wsClient.events.slice(fromEvent).find((e) => e.type === "metrics");
    const frames = wsClient.frames.slice(fromFrame).map((f) => ({
      samples: new Int16Array(f.pcm.slice().buffer),
      atMs: f.atMs,
    }));
    const heard = firstAudible(frames, t0 + speechEndMs);
    if (metrics?.type === "metrics" && heard !== undefined) {
      results.websocket.push({ server: metrics.metrics.voice_to_voice_ms ?? NaN, client: heard - (t0 + speechEndMs) });
    }
  };
  /** LiveKit: the microphone track is fed in real time from an empty queue, so speech leaves at the same offsets. */
  const overLiveKit = async (samples: Int16Array, speechEndMs: number) => {
    const fromEvent = lkUser.events.length;
    const fromAudio = lkUser.audio.length;
    const t0 = performance.now();
    await lkUser.speak(samples);
    await lkUser.waitForEvent((e) => e.type === "response.done" && lkUser.events.indexOf(e) >= fromEvent, 60_000);
    const metrics = lkUser.events.slice(fromEvent).find((e) => e.type === "metrics");
    const heard = firstAudible(lkUser.audio.slice(fromAudio), t0 + speechEndMs);
    if (metrics?.type === "metrics" && heard !== undefined) {
      results.livekit.push({ server: metrics.metrics.voice_to_voice_ms ?? NaN, client: heard - (t0 + speechEndMs) });
    }
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [index, utterance] of utterances.entries()) {
      const samples = float32ToInt16(utterance.samples);
      // Alternate which path goes first, so neither always runs on a warmer machine.
      const order = (round + index) % 2 === 0 ? [overWebSocket, overLiveKit] : [overLiveKit, overWebSocket];
      for (const path of order) await path(samples, utterance.speechEndMs);
    }
  }
} finally {
  await ws?.close().catch(() => {});
  await user?.disconnect().catch(() => {});
  await transport.close();
  await livekit.stop();
  await stack.close();
}

const row = (name: string, turns: Turn[]) => {
  const server = turns.map((t) => t.server);
  const client = turns.map((t) => t.client);
  return {
    name,
    n: turns.length,
    s50: percentile(server, 50),
    s95: percentile(server, 95),
    c50: percentile(client, 50),
    c95: percentile(client, 95),
  };
};
const lk = row("livekit", results.livekit);
const wsRow = row("websocket", results.websocket);
const f = (v: number) => (Number.isFinite(v) ? v.toFixed(0).padStart(6) : "     -");
console.log(
  `voice-to-voice (ms), ${ROUNDS} rounds x ${SENTENCES.length} sentences, Whisper tiny.en + Piper joe, same run`,
);
console.log("path        turns  server p50  server p95  client p50  client p95");
for (const r of [lk, wsRow]) {
  console.log(
    `${r.name.padEnd(10)}  ${String(r.n).padStart(5)}  ${f(r.s50)}      ${f(r.s95)}      ${f(r.c50)}      ${f(r.c95)}`,
  );
}
const ratio = (a: number, b: number) => (a / b).toFixed(2);
console.log(
  `ratio livekit/websocket: server p50 ${ratio(lk.s50, wsRow.s50)}, p95 ${ratio(lk.s95, wsRow.s95)}; ` +
    `client p50 ${ratio(lk.c50, wsRow.c50)}, p95 ${ratio(lk.c95, wsRow.c95)}`,
);
if (lk.n < ROUNDS * SENTENCES.length || wsRow.n < ROUNDS * SENTENCES.length) {
  console.log(`some turns gave no figure (livekit ${lk.n}, websocket ${wsRow.n} of ${ROUNDS * SENTENCES.length})`);
}
// The native side of @livekit/rtc-node keeps the event loop alive after its rooms are gone: the bench is over.
Deno.exit(0);
