/**
 * The real page (Chromium) behind Caddy on host A with orchestrators on hosts A and B: the orchestrator host holding
 * the page's session dies mid-conversation; the page gets a new session through Caddy by itself, says that it is a new
 * one, and the user is heard again.
 */
import assert from "node:assert/strict";
import { openBrowser, waitForPageEvent } from "../e2e/browser.ts";
import { float32ToInt16 } from "../../shared/audio/pcm.ts";
import { writeWav } from "../../shared/audio/wav.ts";
import { concat, silence, speak } from "../../harness/speech.ts";
import { VoiceWsClient } from "../../shared/protocol/ws_client.ts";
import { Cluster, type ClusterOrchestrator, ORCHESTRATOR_KEY, PORTS } from "./cluster.ts";
import { sessionsOpen } from "./cluster.ts";
import { waitUntil } from "./host_process.ts";

async function sessionsOn(orchestrator: ClusterOrchestrator): Promise<number> {
  const open = await sessionsOpen(orchestrator);
  return Number.isNaN(open) ? 0 : open;
}

Deno.test({
  name: "multihost: the page reconnects by itself through Caddy when its orchestrator host dies, as a new session",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using cluster = await Cluster.create(["a", "b", "c"]);
    await cluster.startRedis();
    await cluster.startWorker("c", "mock");
    // A public page (WEB_PUBLIC): whoever loads it from the edge's origin may talk, as on a public deployment.
    const origin = `http://${cluster.net.address("a")}:${PORTS.caddy}`;
    const env = {
      DEFAULT_MODEL: "mock-440hz",
      WEB_PUBLIC: "true",
      PUBLIC_ORIGIN: origin,
      // The page gets a short-lived session token from connection details; both orchestrators accept it.
      ORCHESTRATOR_TOKEN_SECRET: "multihost-token-secret-0123456789abcdef0123",
    };
    const orchestrators = [await cluster.startOrchestrator("a", env), await cluster.startOrchestrator("b", env)];
    const edge = await cluster.startCaddy("a", ["a", "b"]);
    // The microphone says one sentence every few seconds, over and over.
    const spoken = await speak({ text: "Can you hear me now?", voice: "piper-joe", leadMs: 500, tailMs: 500 });
    const wav = await Deno.makeTempFile({ suffix: ".wav" });
    await writeLoop(wav, spoken.samples);
    // Caddy is on host A, so the host to kill is B: occupy orchestrator A with one session through Caddy first, and
    // least_conn sends the page to B.
    const [a, b] = orchestrators;
    const open = async () => {
      const client = await VoiceWsClient.connect(edge.wsUrl, { credential: ORCHESTRATOR_KEY });
      await client.start();
      return client;
    };
    let blocker = await open();
    if ((await sessionsOn(a)) === 0) {
      // It went to B: the next one goes to A (fewest connections), then B is freed again.
      const second = await open();
      await blocker.close();
      blocker = second;
      await waitUntil("orchestrator B to be free", async () => (await sessionsOn(b)) === 0);
    }
    assert.equal(await sessionsOn(a), 1, "orchestrator A holds the blocking session");
    const browser = await openBrowser(wav, {
      loop: true,
      extraArgs: [`--unsafely-treat-insecure-origin-as-secure=${edge.url}`],
    });
    try {
      await browser.page.goto(`${edge.url}/`);
      await browser.page.click("#start");
      const first = await waitForPageEvent(browser, (e) => e.type === "session.started", "the first session", 30_000);
      await waitForPageEvent(browser, (e) => e.type === "transcript.final", "the user to be heard", 60_000);
      const holder = b;
      assert.equal(await sessionsOn(b), 1, "Caddy sent the page to orchestrator B (least_conn)");

      const killedAt = await browser.page.evaluate(() => performance.now());
      await cluster.net.killHost(holder.host);
      const second = await waitForPageEvent(
        browser,
        (e) => e.type === "session.started" && e.sessionId !== first.sessionId,
        "a new session",
        15_000,
      );
      const backMs = second.atMs - killedAt;
      const notice = await browser.page.locator("#notice").textContent();
      const heard = await waitForPageEvent(
        browser,
        (e) => e.type === "transcript.final" && (e.atMs as number) > second.atMs,
        "the user to be heard in the new session",
        30_000,
      );
      console.log(
        `page: orchestrator host ${holder.host} killed → new session after ${Math.round(backMs)} ms, ` +
          `user heard again after ${Math.round(heard.atMs - killedAt)} ms; notice: "${notice}"`,
      );
      // The target. It used to be missed in about one run of four (~8 s): the page's retry of
      // POST /api/connection-details went first to the dead host, Caddy 2.6 could not resend its body to the live one,
      // the live one was marked failed for 5 s, and the page backed off to 4 s. The page now sends no body when it has
      // no options and retries at most 1 s apart, and the edge's passive fail_duration is 2 s.
      assert.ok(backMs < 3_000, `the page had a new session after ${backMs} ms`);
      assert.match(notice ?? "", /new session/);
      assert.equal(
        await browser.page.evaluate(() =>
          (globalThis as unknown as { voiceDebug: { status: string } }).voiceDebug.status
        ),
        "live",
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${browser.log.slice(-15).join("\n")}\n${cluster.tails(10)}`);
    } finally {
      await blocker.close().catch(() => {});
      await browser.close();
      await Deno.remove(wav).catch(() => {});
    }
  },
});

/** Writes `samples` followed by 3 s of silence as a 16 kHz mono WAV. */
async function writeLoop(path: string, samples: Float32Array): Promise<void> {
  const pcm = float32ToInt16(concat(samples, silence(3000)));
  await Deno.writeFile(path, writeWav({ sampleRate: 16_000, samples: pcm }));
}
