/**
 * The web routes and the LiveKit transport as main.ts starts them from config: without LiveKit the token service
 * offers WebSocket only; with a real LiveKit server it hands out rooms the agent has joined, the transport reports
 * LiveKit's reachability for /health, and closing it leaves every room.
 */
import assert from "node:assert/strict";
import { createWebSide } from "../../../orchestrator/http/web_side.ts";
import { createAuthenticator } from "../../../orchestrator/transports/auth.ts";
import type { SessionAcceptor } from "../../../orchestrator/transports/contract.ts";
import { startLiveKitFromConfig } from "../../../orchestrator/transports/livekit/transport.ts";
import { LiveKitServer } from "../../../harness/livekit_server.ts";

const info = { remoteAddr: { hostname: "127.0.0.1" } };
const acceptor: SessionAcceptor = () => ({ audio() {}, text() {}, control() {}, end() {} });
const authenticator = createAuthenticator({ apiKeys: [], allowAnonymous: true });
const post = () =>
  new Request("http://127.0.0.1:8080/api/connection-details", {
    method: "POST",
    headers: { origin: "http://127.0.0.1:8080" },
  });

Deno.test("web side: without LiveKit settings the token service offers the WebSocket transport", async () => {
  const config = {
    LIVEKIT_URL: undefined,
    LIVEKIT_API_KEY: undefined,
    LIVEKIT_API_SECRET: undefined,
    ORCHESTRATOR_TOKEN_SECRET: undefined,
    LIVEKIT_PUBLIC_URL: undefined,
    WEB_ALLOWED_ORIGINS: [],
  };
  const livekit = await startLiveKitFromConfig(config, acceptor);
  assert.equal(livekit, null);
  const web = createWebSide(config, { authenticator, livekit, webRoot: null });
  const body = await (await web(post(), info)).json();
  assert.equal(body.transport, "websocket");
  assert.equal(body.websocket.url, "ws://127.0.0.1:8080/ws");
});

Deno.test("web side: with LiveKit it hands out rooms, reports reachability, and closing leaves the rooms", async () => {
  const server = await LiveKitServer.start();
  const config = {
    LIVEKIT_URL: server.url.replace("ws:", "http:"),
    LIVEKIT_API_KEY: server.apiKey,
    LIVEKIT_API_SECRET: server.apiSecret,
    ORCHESTRATOR_TOKEN_SECRET: undefined,
    LIVEKIT_PUBLIC_URL: "wss://voice.example.com:8444/",
    WEB_ALLOWED_ORIGINS: [],
  };
  const livekit = await startLiveKitFromConfig(config, acceptor);
  try {
    assert.ok(livekit);
    const web = createWebSide(config, { authenticator, livekit, webRoot: null });
    const body = await (await web(post(), info)).json();
    assert.equal(body.transport, "livekit");
    assert.equal(body.serverUrl, "wss://voice.example.com:8444");
    assert.equal(livekit.connectionCount(), 1);
    const check = livekit.readinessCheck();
    assert.deepEqual(await check.check(), { ok: true });
    await livekit.close();
    assert.equal(livekit.connectionCount(), 0);
    await server.stop();
    const down = await check.check();
    assert.equal(down.ok, false);
    assert.match(down.detail ?? "", /unreachable/);
  } finally {
    await livekit?.close();
    await server.stop();
  }
});
