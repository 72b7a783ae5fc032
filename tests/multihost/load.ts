/**
 * `deno task multihost:load`: bounded, self-stopping load on the multi-host layout, and the soak.
 *
 *   deno task multihost:load                          # 40 WebSocket sessions through Caddy + 10 LiveKit, 3 turns each
 *   deno task multihost:load --ws 8 --livekit 2 --turns 2
 *   deno task multihost:load --soak-minutes 10 --ws 20 --livekit 0
 *
 * Layout: Redis, LiveKit node 1, Caddy, orchestrator 1 on host A; LiveKit node 2, orchestrator 2 on host B; Piper on
 * hosts C and D. Orchestrators take LiveKit rooms by LiveKit's agent dispatch. Every session speaks recorded
 * utterances (real speech, real VAD and Whisper), one turn after another with a pause, and waits for the whole answer.
 * Reports voice_to_voice p50/p95 (from the server's per-turn metrics), jitter p95 (lateness of WebSocket agent frames
 * against the 20 ms grid), errors, CPU per host (cores used); with --soak-minutes, RSS growth of every process between
 * the end of the first minute and the end, and the sessions left open in /metrics once every client has gone.
 * Exits 1 when a soak criterion fails (RSS growth ≥ 10 %, an error, a leaked session).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { VoiceWsClient } from "../../shared/protocol/ws_client.ts";
import { float32ToInt16 } from "../../shared/audio/pcm.ts";
import { speak } from "../../harness/speech.ts";
import { LiveKitTestUser } from "../../harness/livekit_test_user.ts";
import { leaveBounded } from "./livekit_peer.ts";
import { Cluster, type ClusterOrchestrator, LIVEKIT_KEY, LIVEKIT_SECRET, ORCHESTRATOR_KEY } from "./cluster.ts";
import { sessionsOpen as sessionsOn } from "./cluster.ts";

const SENTENCES = [
  "What is the weather like today?",
  "Please turn on the kitchen lights.",
  "How far is it to the station?",
  "Tell me something about the moon.",
];

const { values } = parseArgs({
  args: Deno.args,
  options: {
    ws: { type: "string", default: "40" },
    livekit: { type: "string", default: "10" },
    turns: { type: "string", default: "3" },
    "soak-minutes": { type: "string", default: "0" },
    "pause-ms": { type: "string", default: "4000" },
  },
});
const WS = Number(values.ws), LK = Number(values.livekit), TURNS = Number(values.turns);
const SOAK_MS = Number(values["soak-minutes"]) * 60_000, PAUSE_MS = Number(values["pause-ms"]);

function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Lateness (ms) of each frame of one answer against the best-fitting 20 ms grid, after a 3-frame lead. */
function lateness(times: number[]): number[] {
  const t = times.slice(3).map((at, k) => at - 20 * k);
  if (!t.length) return [];
  const anchor = Math.min(...t);
  return t.map((x) => x - anchor);
}

const results = { v2v: [] as number[], jitter: [] as number[], errors: [] as string[], turns: 0 };
let stopAt = Infinity;
const keepGoing = (turn: number) => (SOAK_MS ? performance.now() < stopAt : turn < TURNS);

async function wsSession(url: string, index: number, audio: Int16Array[]): Promise<void> {
  const client = await VoiceWsClient.connect(url, { credential: ORCHESTRATOR_KEY });
  try {
    await client.start({ audio: { sampleRate: 16_000 } }, 60_000);
    await new Promise((r) => setTimeout(r, (index * 997) % PAUSE_MS)); // stagger the sessions
    for (let turn = 0; keepGoing(turn); turn++) {
      const fromEvent = client.events.length, fromFrame = client.frames.length;
      await client.streamRealtime(audio[(index + turn) % audio.length], 16_000);
      const done = await client.waitFor((e) => e.type === "response.done" || e.type === "error", 90_000, fromEvent);
      if (done.type === "error") results.errors.push(`ws ${index}: ${done.code} ${done.message}`);
      const metrics = client.events.slice(fromEvent).find((e) => e.type === "metrics");
      if (metrics?.type === "metrics" && metrics.metrics.voice_to_voice_ms !== undefined) {
        results.v2v.push(metrics.metrics.voice_to_voice_ms);
      }
      results.jitter.push(...lateness(client.frames.slice(fromFrame).map((f) => f.atMs)));
      results.turns++;
      await new Promise((r) => setTimeout(r, PAUSE_MS));
    }
  } catch (error) {
    // Say how the server closed it, and what it said last, so an error count can be read.
    const closed = await Promise.race([client.closed, new Promise<null>((r) => setTimeout(() => r(null), 100))]);
    const said = client.events.findLast((e) => e.type === "error");
    results.errors.push(
      `ws ${index}: ${(error as Error).message}` + (closed ? ` [closed ${closed.code} ${closed.reason}]` : "") +
        (said?.type === "error" ? ` [last error event: ${said.code} ${said.message}]` : ""),
    );
  } finally {
    client.frames.length = 0;
    await client.close().catch(() => {});
  }
}

async function livekitSession(detailsUrl: string, index: number, audio: Int16Array[]): Promise<void> {
  let user: LiveKitTestUser | null = null;
  try {
    const details = await (await fetch(detailsUrl, { method: "POST", headers: { "x-api-key": ORCHESTRATOR_KEY } }))
      .json();
    if (details.transport !== "livekit") throw new Error(`no LiveKit room: ${JSON.stringify(details)}`);
    user = await LiveKitTestUser.join(details.serverUrl, details.participantToken, 16_000);
    await user.waitForEvent("session.started", 60_000);
    await new Promise((r) => setTimeout(r, (index * 1291) % PAUSE_MS));
    for (let turn = 0; keepGoing(turn); turn++) {
      const from = user.events.length;
      await user.speak(audio[(index + turn) % audio.length]);
      const done = await user.waitForEvent(
        (e) => user!.events.indexOf(e) >= from && (e.type === "response.done" || e.type === "error"),
        90_000,
      );
      if (done.type === "error") results.errors.push(`livekit ${index}: ${done.code} ${done.message}`);
      const metrics = user.events.slice(from).find((e) => e.type === "metrics");
      if (metrics?.type === "metrics" && metrics.metrics.voice_to_voice_ms !== undefined) {
        results.v2v.push(metrics.metrics.voice_to_voice_ms);
      }
      user.audio.length = 0;
      results.turns++;
      await new Promise((r) => setTimeout(r, PAUSE_MS));
    }
  } catch (error) {
    results.errors.push(`livekit ${index}: ${(error as Error).message}`);
  } finally {
    if (user) await leaveBounded(user);
  }
}

async function sessionsOpenOnAll(orchestrators: ClusterOrchestrator[]): Promise<number> {
  let open = 0;
  for (const o of orchestrators) open += await sessionsOn(o);
  return open;
}

if (import.meta.main) {
  const cluster = await Cluster.create(["a", "b", "c", "d"]);
  let failed = false;
  try {
    await cluster.startRedis();
    await Promise.all([cluster.startLiveKit("a"), cluster.startLiveKit("b")]);
    await Promise.all([cluster.startWorker("c", "piper"), cluster.startWorker("d", "piper")]);
    const env = (host: string) => ({
      LIVEKIT_URL: cluster.livekitUrl(host),
      LIVEKIT_API_KEY: LIVEKIT_KEY,
      LIVEKIT_API_SECRET: LIVEKIT_SECRET,
      LIVEKIT_AGENT_NAME: "voice-agent",
      LIVEKIT_AGENT_CAPACITY: "100",
      ORCHESTRATOR_MAX_SESSIONS_PER_KEY: "1000",
      // Every load user comes from this process's one address, and through Caddy from Caddy's: the default per-address
      // cap (16) would refuse most of 40 sessions.
      ORCHESTRATOR_MAX_CONNECTIONS_PER_ADDRESS: "200",
      LOG_LEVEL: "warning",
    });
    const orchestrators = [
      await cluster.startOrchestrator("a", env("a")),
      await cluster.startOrchestrator("b", env("b")),
    ];
    const edge = await cluster.startCaddy("a", ["a", "b"], ["a", "b"]);
    const audio = await Promise.all(SENTENCES.map(async (text) => {
      const spoken = await speak({ text, voice: "piper-joe", leadMs: 300, tailMs: 1200, sampleRate: 16_000 });
      return float32ToInt16(spoken.samples);
    }));
    const cpuBefore = cluster.processes.map((p) => p.cpuSeconds());
    const started = performance.now();
    if (SOAK_MS) stopAt = started + SOAK_MS;
    let rssEarly: number[] = [];
    const sampler = SOAK_MS ? setTimeout(() => rssEarly = cluster.processes.map((p) => p.rssKiB()), 60_000) : undefined;
    console.log(
      `load: ${WS} WebSocket sessions through Caddy + ${LK} LiveKit sessions, ` +
        (SOAK_MS ? `soak for ${SOAK_MS / 60_000} min` : `${TURNS} turns each`),
    );
    await Promise.all([
      ...Array.from({ length: WS }, (_, i) => wsSession(edge.wsUrl, i, audio)),
      // Connection details straight from the orchestrators, alternating: behind Caddy every request comes from
      // Caddy's address, and each orchestrator rate-limits connection details per client address.
      ...Array.from(
        { length: LK },
        (_, i) =>
          livekitSession(`${orchestrators[i % 2].wsUrl.replace("ws://", "http://")}/api/connection-details`, i, audio),
      ),
    ]);
    clearTimeout(sampler);
    const wallS = (performance.now() - started) / 1000;
    const rssEnd = cluster.processes.map((p) => p.rssKiB());
    await new Promise((r) => setTimeout(r, 3000));
    const leaked = await sessionsOpenOnAll(orchestrators);
    const cpu: Record<string, number> = {};
    cluster.processes.forEach((p, i) => {
      const host = p.label.split("@")[1];
      cpu[host] = (cpu[host] ?? 0) + (p.cpuSeconds() - cpuBefore[i]) / wallS;
    });
    console.log(`turns ${results.turns} in ${wallS.toFixed(0)} s; errors ${results.errors.length}`);
    console.log(
      `voice_to_voice p50 ${percentile(results.v2v, 50).toFixed(0)} ms, p95 ${
        percentile(results.v2v, 95).toFixed(0)
      } ms ` +
        `(${results.v2v.length} turns); jitter p95 ${percentile(results.jitter, 95).toFixed(1)} ms (WebSocket frames)`,
    );
    console.log(
      `CPU (cores used, 2 on this machine): ${Object.entries(cpu).map(([h, c]) => `${h} ${c.toFixed(2)}`).join(", ")}`,
    );
    console.log(`sessions open in /metrics after every client left: ${leaked}`);
    for (const error of results.errors.slice(0, 10)) console.log(`  error: ${error}`);
    if (results.errors.length) console.log(`last lines of each process:\n${cluster.tails(6)}`);
    if (SOAK_MS) {
      const growth = cluster.processes.map((p, i) => ({
        label: p.label,
        early: rssEarly[i],
        end: rssEnd[i],
        pct: rssEarly[i] ? ((rssEnd[i] - rssEarly[i]) / rssEarly[i]) * 100 : NaN,
      }));
      for (const g of growth) {
        console.log(
          `RSS ${g.label}: ${(g.early / 1024).toFixed(0)} → ${(g.end / 1024).toFixed(0)} MiB (${g.pct.toFixed(1)} %)`,
        );
      }
      failed = growth.some((g) => !(g.pct < 10)) || results.errors.length > 0 || leaked !== 0;
      console.log(failed ? "soak FAILED" : "soak passed: RSS growth < 10 % everywhere, no error, no leaked session");
    }
  } catch (error) {
    console.error(`${error}\n${cluster.tails()}`);
    failed = true;
  } finally {
    await cluster.destroy();
  }
  Deno.exit(failed ? 1 : 0);
}
