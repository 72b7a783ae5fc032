/**
 * The web side as main.ts starts it from config: without LiveKit the token service offers WebSocket only; with a
 * real LiveKit server it hands out rooms the agent has joined, reports LiveKit's reachability for /health, and
 * closing it leaves every room.
 */
import assert from "node:assert/strict";
import { startWebSide } from "../../../orchestrator/http/web_side.ts";
import { createAuthenticator } from "../../../orchestrator/transports/auth.ts";
import type { SessionAcceptor } from "../../../orchestrator/transports/contract.ts";
import { LiveKitServer } from "../transports/livekit/livekit_server.ts";

const info = { remoteAddr: { hostname: "127.0.0.1" } };
const acceptor: SessionAcceptor = () => ({ audio() {}, text() {}, control() {}, end() {} });
const post = () =>
  new Request("http://127.0.0.1:8080/api/connection-details", {
    method: "POST",
    headers: { origin: "http://127.0.0.1:8080" },
  });

Deno.test("web side: without LiveKit settings the token service offers the WebSocket transport", async () => {
  const web = await startWebSide(
    {
      LIVEKIT_URL: undefined,
      LIVEKIT_API_KEY: undefined,
      LIVEKIT_API_SECRET: undefined,
      ORCHESTRATOR_TOKEN_SECRET: undefined,
    },
    { acceptor, authenticator: createAuthenticator({ apiKeys: [], allowAnonymous: true }), webRoot: null },
  );
  try {
    assert.equal(web.livekit, null);
    assert.deepEqual(web.checks, []);
    const body = await (await web.handler(post(), info)).json();
    assert.equal(body.transport, "websocket");
    assert.equal(body.websocket.url, "ws://127.0.0.1:8080/ws");
  } finally {
    await web.close();
  }
});

Deno.test("web side: with LiveKit it hands out rooms, reports reachability, and closing leaves the rooms", async () => {
  const livekit = await LiveKitServer.start();
  const web = await startWebSide(
    {
      LIVEKIT_URL: livekit.url.replace("ws:", "http:"),
      LIVEKIT_API_KEY: livekit.apiKey,
      LIVEKIT_API_SECRET: livekit.apiSecret,
      ORCHESTRATOR_TOKEN_SECRET: undefined,
      LIVEKIT_PUBLIC_URL: "wss://voice.example.com:8444/",
    },
    { acceptor, authenticator: createAuthenticator({ apiKeys: [], allowAnonymous: true }), webRoot: null },
  );
  try {
    const body = await (await web.handler(post(), info)).json();
    assert.equal(body.transport, "livekit");
    assert.equal(body.serverUrl, "wss://voice.example.com:8444");
    assert.equal(web.livekit?.connectionCount(), 1);
    assert.deepEqual(await web.checks[0].check(), { ok: true });
    await web.close();
    assert.equal(web.livekit?.connectionCount(), 0);
    await livekit.stop();
    const down = await web.checks[0].check();
    assert.equal(down.ok, false);
    assert.match(down.detail ?? "", /unreachable/);
  } finally {
    await web.close();
    await livekit.stop();
  }
});
