/**
 * The page-load cookie in a real browser (orchestrator/http/page_cookie.ts): a deployment that is not public (API keys,
 * `ORCHESTRATOR_TOKEN_SECRET`, `WEB_PUBLIC` false, `PUBLIC_ORIGIN` set) serves its page with an HttpOnly cookie, and
 * Chromium's page, which holds no API key, gets its connection details with that cookie and starts a session over the
 * WebSocket path. A script that posts without key or cookie gets 401, and the page's own scripts cannot read the
 * cookie. Light stack (tests/security/light_stack.ts: mock TTS worker, echo responder), plain http on 127.0.0.1 (a
 * secure context for the microphone), no LiveKit.
 *
 * @module
 */
import assert from "node:assert/strict";
import { freePort } from "../../harness/ports.ts";
import { openBrowser, waitForPageEvent } from "../e2e/browser.ts";
import { buildWebClient } from "../e2e/stack.ts";
import { startLightStack } from "./light_stack.ts";

const TOKEN_SECRET = "page-cookie-browser-secret-0123456789abcdef";

/** Two seconds of silence, 48 kHz mono 16-bit: the fake microphone needs a file, the test needs no speech. */
async function silentWav(): Promise<string> {
  const rate = 48_000;
  const data = rate * 2 * 2;
  const bytes = new Uint8Array(44 + data);
  const view = new DataView(bytes.buffer);
  const text = (offset: number, s: string) => [...s].forEach((c, i) => view.setUint8(offset + i, c.charCodeAt(0)));
  text(0, "RIFF");
  view.setUint32(4, 36 + data, true);
  text(8, "WAVE");
  text(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  text(36, "data");
  view.setUint32(40, data, true);
  const path = await Deno.makeTempFile({ suffix: ".wav" });
  await Deno.writeFile(path, bytes);
  return path;
}

Deno.test({
  name: "security browser: a page that is not public starts a session with its HttpOnly page cookie; a script gets 401",
  async fn() {
    await buildWebClient();
    const wav = await silentWav();
    const port = freePort();
    const origin = `http://127.0.0.1:${port}`;
    const stack = await startLightStack({
      env: {
        ORCHESTRATOR_WS_PORT: String(port),
        ORCHESTRATOR_TOKEN_SECRET: TOKEN_SECRET,
        PUBLIC_ORIGIN: origin,
        WEB_PUBLIC: "false",
      },
    });
    try {
      // (b) A script without key or cookie, even one that sends the page's Origin, gets 401.
      for (const headers of [{}, { origin }] as Array<Record<string, string>>) {
        const response = await fetch(`${origin}/api/connection-details`, { method: "POST", headers });
        const body = await response.json();
        assert.equal(response.status, 401, `no key, no cookie, headers ${JSON.stringify(headers)}: ${body.message}`);
        assert.equal(body.error, "unauthorized");
      }

      // (a) The page loaded from the orchestrator gets a cookie and starts a session with it.
      const session = await openBrowser(wav);
      try {
        const page = await session.page.goto(`${origin}/`);
        assert.equal(page?.status(), 200);
        const setCookie = (await page?.allHeaders())?.["set-cookie"] ?? "";
        assert.match(setCookie, /voicechat_page=p1\./);
        assert.match(setCookie, /HttpOnly/i);
        assert.match(setCookie, /SameSite=Strict/i);
        const [cookie] = (await session.context.cookies(`${origin}/api/`)).filter((c) => c.name === "voicechat_page");
        assert.ok(cookie, "the browser kept the page cookie");
        assert.equal(cookie.httpOnly, true);
        assert.equal(cookie.sameSite, "Strict");
        assert.equal(cookie.path, "/api/");

        // (c) The page's scripts cannot read it.
        // deno-lint-ignore no-explicit-any
        const visible = await session.page.evaluate(() => String((globalThis as any).document.cookie));
        assert.ok(!visible.includes("voicechat_page"), `document.cookie shows "${visible}"`);

        const details = session.page.waitForResponse((r) => r.url().endsWith("/api/connection-details"));
        await session.page.click("#start");
        const answer = await details;
        assert.equal(answer.status(), 200, `the page's connection-details: ${await answer.text()}`);
        const sent = await answer.request().allHeaders();
        assert.ok(!sent["x-api-key"] && !sent["authorization"], "the page sent no key");
        assert.match(sent["cookie"] ?? "", /voicechat_page=/);
        await waitForPageEvent(session, (e) => e.type === "session.started", "the session to start", 30_000);
        // deno-lint-ignore no-explicit-any
        const transport = await session.page.evaluate(() => (globalThis as any).voiceDebug.transport);
        assert.equal(transport, "websocket");
      } finally {
        await session.close();
      }
    } finally {
      await stack.close();
      await Deno.remove(wav).catch(() => {});
    }
  },
});
