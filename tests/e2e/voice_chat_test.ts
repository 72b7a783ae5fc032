/**
 * The voice chat as a person uses it, in Debian's Chromium (headless) against the full stack behind Caddy: the page
 * loads over HTTPS, the sentence played into the fake microphone shows up as a transcript, the agent's answer is
 * heard in the page (measured on the remote track), talking over the agent stops its audio, and with LiveKit out of
 * reach the page falls back to the WebSocket transport by itself. Screenshots land in tests/e2e/artifacts/.
 */
import assert from "node:assert/strict";
import { normaliseWords, wordErrorRate } from "../../harness/wer.ts";
import {
  type BrowserSession,
  openBrowser,
  pageAgentAudibleSince,
  pageAgentAudio,
  pageEvents,
  screenshot,
  waitForPageEvent,
} from "./browser.ts";
import { freePort } from "../../harness/ports.ts";
import { recording } from "./speech_files.ts";
import { startBrowserStack } from "./stack.ts";

const REQUEST = "Please turn on the kitchen lights.";
const LONG_REQUEST = "Tell me about the weather in the mountains and along the rivers of the north this weekend.";
const INTERRUPTION = "Wait, please stop talking, I have another question.";

/** Opens the page, presses start and waits until the session runs on `transport`. */
async function startConversation(session: BrowserSession, url: string, transport: "livekit" | "websocket") {
  await session.page.goto(url);
  await session.page.click("#start");
  await waitForPageEvent(session, (e) => e.type === "session.started", "the session to start", 30_000);
  // deno-lint-ignore no-explicit-any
  const active = await session.page.evaluate(() => (globalThis as any).voiceDebug.transport);
  assert.equal(active, transport, `the page uses ${transport}\n${session.log.slice(-10).join("\n")}`);
}

Deno.test({
  name: "e2e browser: voice chat over LiveKit behind Caddy, barge-in, and the WebSocket fallback",
  async fn(t) {
    const turn = await recording([{ pauseMs: 800 }, { say: REQUEST }, { pauseMs: 12_000 }]);
    const bargeIn = await recording([
      { pauseMs: 800 },
      { say: LONG_REQUEST },
      { pauseMs: 3_800 },
      { say: INTERRUPTION },
      { pauseMs: 10_000 },
    ]);
    const stack = await startBrowserStack();
    try {
      await t.step("the page loads over Caddy HTTPS", async () => {
        const session = await openBrowser(turn.path);
        try {
          const response = await session.page.goto(stack.pageUrl);
          assert.equal(response?.status(), 200);
          assert.ok(response?.url().startsWith("https://localhost:"), response?.url());
          assert.match(response?.headers()["strict-transport-security"] ?? "", /max-age/);
          assert.equal(await session.page.title(), "Voice — talk to the agent");
          assert.equal(await session.page.textContent("#status-text"), "Offline");
          assert.equal(await session.page.isEnabled("#start"), true);
          assert.deepEqual(session.log.filter((l) => l.startsWith("pageerror")), []);
        } finally {
          await session.close();
        }
      });

      await t.step("a spoken sentence: its transcript on the page, the agent's answer heard", async () => {
        const session = await openBrowser(turn.path);
        try {
          await startConversation(session, stack.pageUrl, "livekit");
          const final = await waitForPageEvent(session, (e) => e.type === "transcript.final", "the transcript", 60_000);
          assert.ok(wordErrorRate(REQUEST, String(final.text)) <= 0.25, `heard "${final.text}"`);
          await session.page.waitForSelector(".message.user:not(.live) .bubble", { timeout: 10_000 });
          const shown = await session.page.textContent(".message.user .bubble");
          assert.equal(shown, final.text, "the final transcript is on the page");
          const done = await waitForPageEvent(session, (e) => e.type === "response.done", "the answer", 60_000);
          await new Promise((r) => setTimeout(r, 800)); // the last frames are still in flight
          const audio = await pageAgentAudio(session.page);
          const answerMs = Number(done.audioMs);
          assert.ok(audio.audibleMs >= 0.6 * answerMs, `heard ${audio.audibleMs} ms of a ${answerMs} ms answer`);
          assert.ok(audio.audibleRms > 0.02, `agent audio RMS ${audio.audibleRms.toFixed(3)} is speech, not noise`);
          const agentText = await session.page.textContent(".message.agent .bubble");
          assert.equal(agentText, final.text, "the echo's text is on the page");
          const metrics = (await pageEvents(session.page)).find((e) => e.type === "metrics");
          assert.ok(metrics, "per-turn metrics arrived");
          assert.notEqual(await session.page.textContent("#lat-v2v"), "—", "the latency readout shows the turn");
          const path = await screenshot(session.page, "voice_chat_livekit");
          console.log(`screenshot: ${path}`);
        } finally {
          await session.close();
        }
      });

      await t.step("talking over the agent stops its audio (barge-in)", async () => {
        const session = await openBrowser(bargeIn.path);
        try {
          await startConversation(session, stack.pageUrl, "livekit");
          await waitForPageEvent(
            session,
            (e) => e.type === "state" && e.state === "speaking",
            "the agent to speak",
            60_000,
          );
          const interrupted = await waitForPageEvent(
            session,
            (e) => e.type === "response.interrupted",
            "the interruption",
            30_000,
          );
          assert.equal(interrupted.reason, "barge_in");
          const done = (await pageEvents(session.page)).find((e) => e.type === "response.done");
          assert.equal(done, undefined, "the interrupted answer never completed");
          // Give the page time to play anything that was still coming, then measure what it heard after.
          await new Promise((r) => setTimeout(r, 1_500));
          const after = await pageAgentAudibleSince(session.page, interrupted.atMs + 300);
          assert.ok(after <= 200, `${after} ms of agent audio after the interruption`);
          // The echo speaks the request in the same voice, so the whole answer would last about as long as it.
          const answerMs = bargeIn.sentences[0].endMs - bargeIn.sentences[0].startMs;
          const heard = (await pageAgentAudio(session.page)).audibleMs;
          assert.ok(heard < 0.8 * answerMs, `heard ${heard} ms of an answer about ${Math.round(answerMs)} ms long`);
          // Whisper hears the interruption once its speech is over, possibly in more than one piece (the VAD may end
          // at "Wait,"): wait until its last word is in (a loaded machine is slow), then judge all of it.
          const laterFinals = async () =>
            (await pageEvents(session.page)).filter((e) => e.type === "transcript.final" && e.turn !== 1);
          const lastWord = normaliseWords(INTERRUPTION).at(-1)!;
          const deadline = performance.now() + 30_000;
          let later = await laterFinals();
          while (!normaliseWords(later.map((e) => String(e.text)).join(" ")).includes(lastWord)) {
            if (performance.now() > deadline) break;
            await new Promise((r) => setTimeout(r, 250));
            later = await laterFinals();
          }
          const heardLater = later.map((e) => String(e.text)).join(" ");
          const detail = `heard "${heardLater}" (${JSON.stringify(later)})`;
          assert.ok(wordErrorRate(INTERRUPTION, heardLater) <= 0.5, detail);
          for (const part of ["wait", "please stop talking", "another question"]) {
            assert.ok(normaliseWords(heardLater).join(" ").includes(part), `"${part}" was lost: ${detail}`);
          }
          await screenshot(session.page, "voice_chat_barge_in");
        } finally {
          await session.close();
        }
      });

      await t.step("with LiveKit out of reach the page falls back to WebSocket and still talks", async () => {
        const reachable = stack.details.livekit.publicUrl;
        stack.details.livekit.publicUrl = `wss://localhost:${freePort()}`;
        const session = await openBrowser(turn.path);
        try {
          await startConversation(session, stack.pageUrl, "websocket");
          assert.match(await session.page.textContent("#notice") ?? "", /LiveKit is unreachable/);
          const final = await waitForPageEvent(session, (e) => e.type === "transcript.final", "the transcript", 60_000);
          assert.ok(wordErrorRate(REQUEST, String(final.text)) <= 0.25, `heard "${final.text}"`);
          await waitForPageEvent(session, (e) => e.type === "response.done", "the answer", 60_000);
          await new Promise((r) => setTimeout(r, 800));
          const audio = await pageAgentAudio(session.page);
          assert.ok(audio.audibleMs >= 800, `heard ${audio.audibleMs} ms over WebSocket`);
          await screenshot(session.page, "voice_chat_websocket_fallback");
        } finally {
          stack.details.livekit.publicUrl = reachable;
          await session.close();
        }
      });
    } finally {
      await stack.close();
      await Deno.remove(turn.path).catch(() => {});
      await Deno.remove(bargeIn.path).catch(() => {});
    }
  },
});
