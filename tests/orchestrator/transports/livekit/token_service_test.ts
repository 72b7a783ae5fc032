/**
 * The token service and the LiveKit transport together, against a real LiveKit server: the details a browser gets
 * let a real WebRTC participant into the room where the agent already waits, with the session options it asked for;
 * the token names that one room only, and every request gets a fresh room.
 */
import assert from "node:assert/strict";
import { createConnectionDetailsHandler } from "../../../../orchestrator/http/connection_details.ts";
import type { SessionRequest } from "../../../../orchestrator/transports/contract.ts";
import { createAuthenticator } from "../../../../orchestrator/transports/auth.ts";
import { startLiveKitTransport } from "../../../../orchestrator/transports/livekit/transport.ts";
import { freePort } from "../../../../harness/ports.ts";
import { LiveKitServer } from "../../../../harness/livekit_server.ts";
import { LiveKitTestUser } from "../../../../harness/livekit_test_user.ts";

Deno.test("token service: a browser's details lead into the agent's room with the options it asked for", async () => {
  const livekit = await LiveKitServer.start();
  const requests: SessionRequest[] = [];
  const transport = await startLiveKitTransport({
    url: livekit.url,
    apiKey: livekit.apiKey,
    apiSecret: livekit.apiSecret,
    acceptor: (request, output) => {
      requests.push(request);
      output.sendEvent({
        type: "session.started",
        sessionId: "s1",
        model: request.start.model ?? "",
        responder: "echo",
        language: request.start.language ?? "en",
        inputSampleRate: request.start.audio?.sampleRate ?? 0,
        outputSampleRate: 48_000,
        frameMs: 20,
      });
      return { audio() {}, text() {}, control() {}, end() {} };
    },
  });
  const handler = createConnectionDetailsHandler({
    livekit: { credentials: livekit, internalUrl: livekit.url, dispatcher: transport },
    authenticator: createAuthenticator({ apiKeys: ["k1"] }),
  });
  const port = freePort();
  const http = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, handler);
  const users: LiveKitTestUser[] = [];
  try {
    const response = await fetch(`http://127.0.0.1:${port}/api/connection-details`, {
      method: "POST",
      headers: { origin: `http://127.0.0.1:${port}`, "content-type": "application/json", "x-api-key": "k1" },
      body: JSON.stringify({ language: "en", model: "piper-en-us-joe-medium" }),
    });
    const details = await response.json();
    assert.equal(details.transport, "livekit", JSON.stringify(details));
    assert.equal(details.serverUrl, livekit.url, "plain http on 127.0.0.1 reaches LiveKit directly");
    assert.equal(transport.connectionCount(), 1, "the agent is in the room before the user");
    const user = await LiveKitTestUser.join(details.serverUrl, details.participantToken);
    users.push(user);
    const started = await user.waitForEvent("session.started");
    assert.equal((started as { model: string }).model, "piper-en-us-joe-medium");
    assert.equal(requests[0].transport, "livekit");
    assert.match(requests[0].principal, /^key:/);
    assert.equal(requests[0].start.audio?.sampleRate, 16_000, "the agent asks LiveKit for 16 kHz, the VAD's rate");

    // The token names one room (LiveKit enforces the grant), and the next request gets a room of its own.
    const payload = JSON.parse(atob(details.participantToken.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    assert.equal(payload.video.room, details.roomName);
    const second = await (await fetch(`http://127.0.0.1:${port}/api/connection-details`, {
      method: "POST",
      headers: { "x-api-key": "k1" },
    })).json();
    assert.notEqual(second.roomName, details.roomName);
  } finally {
    await transport.close();
    for (const user of users) await user.disconnect().catch(() => {});
    await http.shutdown();
    await livekit.stop();
  }
});
