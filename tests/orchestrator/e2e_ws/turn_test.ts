/**
 * Whole turns through the real stack: real speech in, real VAD and Whisper, echo, a real Piper worker, agent audio
 * paced in real time; sessions running side by side stay isolated; health and metrics reflect it.
 */
import assert from "node:assert/strict";
import { FRAME_BYTES } from "../../../shared/audio/format.ts";
import type { VoiceWsClient } from "../../../shared/protocol/ws_client.ts";
import { silence, speak } from "../../../harness/speech.ts";
import { wordErrorRate } from "../../../harness/wer.ts";
import { corpus, runHostileCase } from "../transports/hostile_corpus.ts";
import { API_KEY, percentile, startStack, toWire } from "../../../harness/ws_stack.ts";

/** Frames after the lead, as lateness against the best-fitting 20 ms grid (ms). */
function gridLateness(client: VoiceWsClient, leadFrames = 3): number[] {
  const times = client.frames.slice(leadFrames).map((f, k) => f.atMs - 20 * k);
  const anchor = Math.min(...times);
  return times.map((t) => t - anchor);
}

Deno.test("e2e websocket: spoken turns, pacing, isolation, health and metrics", async (t) => {
  const stack = await startStack();
  try {
    await t.step("a spoken sentence → matching transcript → echo answer paced in real time", async () => {
      const text = "Please turn on the kitchen lights.";
      const speech = await speak({ text, voice: "piper-joe", leadMs: 400, tailMs: 1200, sampleRate: 16_000 });
      const client = await stack.connect();
      await client.start({ audio: { sampleRate: 16_000 } });
      await client.streamRealtime(toWire(speech.samples), 16_000);
      const done = await client.waitFor("response.done", 60_000);
      const final = client.ofType("transcript.final")[0];
      assert.ok(wordErrorRate(text, final.text) <= 0.25, `heard "${final.text}"`);
      assert.equal(done.type === "response.done" && done.text, final.text, "echo says back the transcript");
      assert.ok(client.frames.length > 25, `${client.frames.length} agent frames`);
      assert.ok(client.frames.every((f) => f.pcm.byteLength === FRAME_BYTES));
      assert.equal(done.type === "response.done" && done.frames, client.frames.length);
      const span = client.frames.at(-1)!.atMs - client.frames[3].atMs;
      const ideal = 20 * (client.frames.length - 4);
      assert.ok(Math.abs(span - ideal) < 0.1 * ideal + 100, `frames span ${span} ms, real time is ${ideal} ms`);
      const lateness = gridLateness(client);
      assert.ok(percentile(lateness, 95) < 40, `p95 lateness against the 20 ms grid: ${percentile(lateness, 95)} ms`);
      const metrics = client.ofType("metrics")[0].metrics;
      for (const key of ["voice_to_voice_ms", "asr_final_ms", "tts_first_audio_ms", "endpoint_ms"] as const) {
        assert.ok(typeof metrics[key] === "number", `${key} in ${JSON.stringify(metrics)}`);
      }
      assert.deepEqual(client.invalid, []);
      client.endSession();
      assert.equal((await client.closed).code, 1000);
    });

    await t.step("48 kHz user audio is understood the same way", async () => {
      const text = "What time is it?";
      const speech = await speak({ text, voice: "piper-joe", leadMs: 300, tailMs: 1200, sampleRate: 48_000 });
      const client = await stack.connect();
      await client.start({ audio: { sampleRate: 48_000 } });
      await client.streamRealtime(toWire(speech.samples), 48_000);
      await client.waitFor("response.done", 60_000);
      const final = client.ofType("transcript.final")[0];
      assert.ok(wordErrorRate(text, final.text) <= 0.25, `heard "${final.text}"`);
      await client.close();
    });

    await t.step("two sessions speaking at once each get their own transcript and answer", async () => {
      const texts = ["The weather is very nice this afternoon.", "My favourite fruit is a banana."];
      const clients = await Promise.all(texts.map(() => stack.connect()));
      await Promise.all(clients.map((c) => c.start()));
      const speeches = await Promise.all(
        texts.map((text) => speak({ text, voice: "piper-joe", leadMs: 300, tailMs: 1200, sampleRate: 16_000 })),
      );
      await Promise.all(clients.map((c, i) => c.streamRealtime(toWire(speeches[i].samples), 16_000)));
      await Promise.all(clients.map((c) => c.waitFor("response.done", 90_000)));
      clients.forEach((c, i) => {
        const final = c.ofType("transcript.final");
        assert.equal(final.length, 1);
        assert.ok(wordErrorRate(texts[i], final[0].text) <= 0.25, `session ${i} heard "${final[0].text}"`);
        assert.equal(c.ofType("response.done")[0].text, final[0].text);
      });
      await Promise.all(clients.map((c) => c.close()));
    });

    await t.step("twenty concurrent sessions with VAD running stay isolated", async () => {
      const n = 20;
      // One key may hold 8 sessions: twenty users means several keys.
      const clients = await Promise.all(Array.from({ length: n }, (_, i) => stack.connect(i)));
      await Promise.all(clients.map((c) => c.start()));
      const quiet = toWire(silence(3_000));
      const listening = clients.map((c) => c.streamRealtime(quiet, 16_000));
      clients.forEach((c, i) => c.sendText(`Session number ${i + 1} says hello.`));
      await Promise.all(clients.map((c) => c.waitFor("response.done", 180_000)));
      await Promise.all(listening);
      clients.forEach((c, i) => {
        const done = c.ofType("response.done");
        assert.equal(done.length, 1, `session ${i + 1} answers once`);
        assert.equal(done[0].text, `Session number ${i + 1} says hello.`);
        assert.equal(done[0].frames, c.frames.length);
        assert.equal(done[0].seqGaps, 0);
        assert.equal(c.ofType("speech.started").length, 0, "silence is not speech");
      });
      assert.equal(stack.orchestrator.manager.size, n);
      await Promise.all(clients.map((c) => c.close()));
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(stack.orchestrator.manager.size, 0);
    });

    await t.step("hostile clients are refused one by one while a real session talks on", async () => {
      const text = "I am still talking to you.";
      const speech = await speak({ text, voice: "piper-joe", leadMs: 300, tailMs: 1200, sampleRate: 16_000 });
      const live = await stack.connect();
      await live.start();
      const talking = live.streamRealtime(toWire(speech.samples), 16_000);
      // The stack has no token secret, no LLM and an English-only recognizer: those cases fail the same way.
      const cases = corpus({ expired: "v1.a.b", foreign: "v1.c.d", forged: "v1.e.f", unsigned: "v1.g" })
        .filter((c) => c.name !== "start timeout");
      const failures: string[] = [];
      for (const c of cases) failures.push(...await runHostileCase(stack.orchestrator.wsUrl, c, API_KEY));
      assert.deepEqual(failures, []);
      await talking;
      const done = await live.waitFor("response.done", 60_000);
      assert.ok(wordErrorRate(text, done.type === "response.done" ? done.text : "") <= 0.25, JSON.stringify(done));
      assert.equal(live.ofType("error").length, 0);
      await live.close();
    });

    await t.step("health is ready and /metrics shows the turns in valid exposition format", async () => {
      const health = await fetch(`${stack.orchestrator.healthUrl}/health`);
      const body = await health.json();
      assert.equal(health.status, 200, JSON.stringify(body));
      assert.deepEqual(body.missing, []);
      const live = await fetch(`${stack.orchestrator.healthUrl}/livez`);
      assert.equal(live.status, 200);
      await live.body?.cancel();
      const metrics = await (await fetch(`${stack.orchestrator.healthUrl}/metrics`)).text();
      const count = Number(/^voicechat_voice_to_voice_seconds_count (\d+)$/m.exec(metrics)?.[1]);
      assert.ok(count >= 4, `voicechat_voice_to_voice_seconds_count ${count}`);
      assert.match(metrics, /^voicechat_frame_jitter_seconds_bucket\{le="0\.005"\} \d+$/m);
      assert.match(metrics, /^process_resident_memory_bytes \d+$/m);
      assert.match(metrics, /^voicechat_worker_queue_depth\{worker="[^"]+"\} \d+$/m);
      assert.match(metrics, /^voicechat_sessions_total\{transport="websocket"\} [1-9]\d*$/m);
      for (const line of metrics.split("\n").filter((l) => l && !l.startsWith("#"))) {
        assert.match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eInfNa]+$/, line);
      }
    });
  } finally {
    await stack.close();
  }
});
