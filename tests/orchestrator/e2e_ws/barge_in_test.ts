/**
 * Barge-in through the real stack: user speech while the agent talks stops the agent's audio at once and keeps only
 * the heard text; a short non-word burst pauses the agent, which then resumes with every frame exactly once (Piper
 * with zero noise is deterministic, so the audio is compared byte for byte with an uninterrupted run).
 */
import assert from "node:assert/strict";
import type { ReceivedEvent, VoiceWsClient } from "../../../shared/protocol/ws_client.ts";
import { concat, silence, speak } from "../../../harness/speech.ts";
import { wordErrorRate } from "../../../harness/wer.ts";
import { startStack, toWire } from "../../../harness/ws_stack.ts";

const AGENT_TEXT = "This is a long answer from the agent. It keeps talking for several seconds, so that the user " +
  "has time to interrupt it in the middle of a sentence.";
const DETERMINISTIC = { noiseScale: 0, noiseW: 0 };

/** Waits until the agent has been audible for `ms`. */
async function agentSpeaksFor(client: VoiceWsClient, ms: number): Promise<void> {
  await client.waitFor((e) => e.type === "state" && e.state === "speaking", 60_000);
  await new Promise((r) => setTimeout(r, ms));
}

function joined(client: VoiceWsClient, from = 0, to = client.frames.length): Uint8Array {
  const out = new Uint8Array((to - from) * 1920);
  client.frames.slice(from, to).forEach((f, i) => out.set(f.pcm, i * 1920));
  return out;
}

Deno.test("e2e websocket: barge-in and false interruptions", async (t) => {
  const stack = await startStack();
  try {
    await t.step(
      "user speech while the agent speaks: no agent frame later than 50 ms after speech.started",
      async () => {
        const words = "Stop please, I have a question.";
        const speech = await speak({ text: words, voice: "piper-joe", leadMs: 200, tailMs: 1500, sampleRate: 16_000 });
        const client = await stack.connect();
        await client.start({ options: DETERMINISTIC });
        const marks: Record<string, { frames: number; atMs: number }> = {};
        client.onEvent = (e: ReceivedEvent) => {
          const key = e.type === "response.started" ? `response.started#${e.turn}` : e.type;
          marks[key] ??= { frames: client.frames.length, atMs: e.receivedAtMs };
        };
        client.sendText(AGENT_TEXT);
        await agentSpeaksFor(client, 1_500);
        await client.streamRealtime(toWire(speech.samples), 16_000);
        const second = await client.waitFor((e) => e.type === "response.done" || e.type === "error", 60_000);
        assert.equal(second.type, "response.done", JSON.stringify(second));
        const started = marks["speech.started"];
        assert.ok(started, "speech.started was sent");
        const nextResponse = marks["response.started#2"];
        assert.ok(nextResponse, "the user's words were answered");
        const leaked = client.frames.slice(started.frames, nextResponse.frames);
        const late = leaked.filter((f) => f.atMs > started.atMs + 50);
        assert.equal(late.length, 0, `${late.length} agent frames arrived more than 50 ms after speech.started`);
        const interrupted = client.ofType("response.interrupted")[0];
        assert.equal(interrupted.reason, "barge_in");
        assert.ok(
          interrupted.heardText.length > 0 && AGENT_TEXT.startsWith(interrupted.heardText),
          interrupted.heardText,
        );
        assert.ok(
          interrupted.heardText.length < AGENT_TEXT.length,
          `the agent was cut short, heard: "${interrupted.heardText}" after ${started.frames} frames`,
        );
        const final = client.ofType("transcript.final").at(-1)!;
        assert.ok(wordErrorRate(words, final.text) <= 0.34, `heard "${final.text}"`);
        const bargeIn = client.ofType("metrics").find((m) => m.metrics.barge_in_ms !== undefined);
        assert.ok(bargeIn && bargeIn.metrics.barge_in_ms! <= 50, JSON.stringify(bargeIn));
        await client.close();
      },
    );

    await t.step("a 150 ms non-word burst pauses the agent; it resumes with nothing repeated or lost", async () => {
      const reference = await stack.connect();
      await reference.start({ options: DETERMINISTIC });
      reference.sendText(AGENT_TEXT);
      await reference.waitFor("response.done", 60_000);
      await reference.close();

      const hum = (await speak({ text: "Hm.", voice: "piper-joe", leadMs: 0, tailMs: 0, sampleRate: 16_000 }))
        .samples.subarray(0, 2_400);
      const client = await stack.connect();
      await client.start({ options: DETERMINISTIC });
      client.sendText(AGENT_TEXT);
      await agentSpeaksFor(client, 800);
      await client.streamRealtime(toWire(concat(silence(300), hum, silence(2_500))), 16_000);
      const done = await client.waitFor("response.done", 60_000);
      assert.ok(client.ofType("speech.started").length >= 1, "the burst was taken for speech onset");
      const heard = client.events.filter((e) => e.type.startsWith("transcript")).map((e) => JSON.stringify(e));
      assert.equal(client.ofType("response.interrupted").length, 0, `the agent was not stopped; ASR heard ${heard}`);
      assert.equal(done.type === "response.done" && done.seqGaps, 0);
      assert.equal(client.frames.length, reference.frames.length, "same number of frames as without the burst");
      assert.deepEqual(joined(client), joined(reference), "byte-identical agent audio");
      await client.close();
    });
  } finally {
    await stack.close();
  }
});
