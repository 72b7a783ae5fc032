/** The WebSocket transport through the shared transport contract suite, over real loopback sockets. */
import { VoiceWsClient } from "../../../shared/protocol/ws_client.ts";
import { createAuthenticator } from "../../../orchestrator/transports/auth.ts";
import { listenWebSocket, type WebSocketListener } from "./websocket_listener.ts";
import { transportContractSuite } from "./contract_suite.ts";

const API_KEY = "contract-suite-key";

transportContractSuite("websocket", {
  start: (acceptor) =>
    listenWebSocket({
      authenticator: createAuthenticator({ apiKeys: [API_KEY] }),
      acceptor,
    }),
  async open(server, start) {
    const client = await VoiceWsClient.connect((server as WebSocketListener).url, { credential: API_KEY });
    client.sendJson(start);
    await client.waitFor((e) => e.type === "session.started" || e.type === "error");
    return {
      sendAudio: (samples) => client.sendAudio(samples),
      sendText: (text) => client.sendText(text),
      sendControl: (action) => client.sendControl(action),
      endSession: () => client.endSession(),
      waitForEvent: (type, timeoutMs) => client.waitFor(type, timeoutMs),
      frames: () => client.frames.map((f) => f.pcm),
      closed: client.closed,
      disconnect: () => client.close(),
    };
  },
});
