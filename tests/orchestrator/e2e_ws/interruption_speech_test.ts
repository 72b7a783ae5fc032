/**
 * No interrupting speech is lost through the real stack (Silero VAD, Whisper tiny.en, Piper): the user talks over the
 * agent with "Wait," — a pause long enough for the VAD to end the speech there — and goes on; every part of what they
 * said reaches `transcript.final`, in order, and the agent answers all of it, whatever state the first part left it in
 * (interrupted waiting for words, thinking about "Wait.", or already speaking again).
 */
import assert from "node:assert/strict";
import type { VoiceWsClient } from "../../../shared/protocol/ws_client.ts";
import { concat, silence, speak } from "../../../harness/speech.ts";
import { normaliseWords, wordErrorRate } from "../../../harness/wer.ts";
import { startStack, toWire, until } from "../../../harness/ws_stack.ts";

const REQUEST = "Tell me about the weather in the mountains and along the rivers of the north this weekend.";
const WAIT = "Wait,";
const REST = "please stop talking, I have another question.";
const INTERRUPTION = `${WAIT} ${REST}`;

/** Final transcripts received from event index `from` on. */
function finalsSince(client: VoiceWsClient, from: number): string[] {
  return client.events.slice(from).flatMap((e) => e.type === "transcript.final" && e.text.trim() ? [e.text] : []);
}

/** True when every word of `expected` occurs in `heard` in order (other words may come between). */
function inOrder(expected: string, heard: string): boolean {
  const words = normaliseWords(heard);
  let at = 0;
  for (const word of normaliseWords(expected)) {
    at = words.indexOf(word, at);
    if (at < 0) return false;
    at++;
  }
  return true;
}

Deno.test("e2e websocket: every part of speech that interrupts the agent is transcribed and answered", async (t) => {
  const stack = await startStack();
  try {
    for (const pauseMs of [350, 450]) {
      await t.step(`"${WAIT}" ${pauseMs} ms pause "${REST}" over the agent's answer`, async () => {
        const voice = "piper-joe" as const;
        const request = await speak({ text: REQUEST, voice, leadMs: 300, tailMs: 1_000, sampleRate: 16_000 });
        const wait = await speak({ text: WAIT, voice, leadMs: 0, tailMs: 0, sampleRate: 16_000 });
        const rest = await speak({ text: REST, voice, leadMs: 0, tailMs: 0, sampleRate: 16_000 });
        const client = await stack.connect();
        await client.start({ options: { noiseScale: 0, noiseW: 0 } });
        await client.streamRealtime(toWire(request.samples), 16_000);
        await client.waitFor((e) => e.type === "state" && e.state === "speaking", 60_000);
        await new Promise((r) => setTimeout(r, 1_000));
        const from = client.events.length;
        const interruption = concat(wait.samples, silence(pauseMs), rest.samples, silence(2_500));
        await client.streamRealtime(toWire(interruption), 16_000);
        // A loaded machine may be slow to transcribe: wait until the last words are in (or 30 s), then judge.
        await until(() => /question/i.test(finalsSince(client, from).join(" ")), "the last words", 30_000)
          .catch(() => {});
        const finals = finalsSince(client, from);
        const heard = finals.join(" ");
        const detail = `transcripts ${JSON.stringify(finals)}`;
        assert.ok(wordErrorRate(INTERRUPTION, heard) <= 0.25, `heard "${heard}": ${detail}`);
        assert.ok(inOrder("wait please stop talking another question", heard), `words lost or reordered: ${detail}`);
        const interrupted = client.ofType("response.interrupted");
        assert.ok(interrupted.length >= 1 && interrupted[0].reason === "barge_in", JSON.stringify(interrupted));
        // Every part was answered: together in one turn, or "Wait." first when its answer was already audible.
        await client.waitFor((e) => e.type === "response.started" && /question/i.test(e.input), 30_000);
        const inputs = client.events.slice(from).flatMap((e) => e.type === "response.started" ? [e.input] : []);
        assert.ok(inOrder("wait please stop talking another question", inputs.join(" ")), JSON.stringify(inputs));
        await client.close();
      });
    }
  } finally {
    await stack.close();
  }
});
