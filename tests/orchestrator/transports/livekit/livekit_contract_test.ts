/**
 * The LiveKit transport through the shared transport contract suite: a real LiveKit server on loopback, the
 * transport's agents joining rooms, and users that are real WebRTC participants (`@livekit/rtc-node`) holding tokens
 * from the token minting code. Audio crosses Opus both ways, so the suite compares it as lossy audio.
 */
import type { TransportServer } from "../../../../orchestrator/transports/contract.ts";
import { type LiveKitTransport, startLiveKitTransport } from "../../../../orchestrator/transports/livekit/transport.ts";
import { mintUserToken, newRoomTicket } from "../../../../orchestrator/transports/livekit/tokens.ts";
import { transportContractSuite, type TransportHarness } from "../contract_suite.ts";
import { LiveKitServer } from "../../../../harness/livekit_server.ts";
import { LiveKitTestUser } from "../../../../harness/livekit_test_user.ts";

const servers = new WeakMap<TransportServer, { livekit: LiveKitServer; users: LiveKitTestUser[] }>();

/** `lossyAudio` makes the suite compare audio by loudness (it crossed Opus), not byte for byte. */
const harness: TransportHarness & { lossyAudio: boolean } = {
  lossyAudio: true,
  async start(acceptor) {
    const livekit = await LiveKitServer.start();
    let transport: LiveKitTransport;
    try {
      transport = await startLiveKitTransport({
        url: livekit.url,
        apiKey: livekit.apiKey,
        apiSecret: livekit.apiSecret,
        acceptor,
      });
    } catch (error) {
      await livekit.stop();
      throw error;
    }
    const users: LiveKitTestUser[] = [];
    servers.set(transport, { livekit, users });
    // The suite closes the transport; the LiveKit server and the users go with it.
    const close = transport.close.bind(transport);
    let closed: Promise<void> | null = null;
    transport.close = () =>
      closed ??= (async () => {
        await close();
        for (const user of users) await user.disconnect().catch(() => {});
        await livekit.stop();
      })();
    return transport;
  },
  async open(server, start) {
    const entry = servers.get(server);
    if (!entry) throw new Error("not a server of this harness");
    const transport = server as LiveKitTransport;
    const ticket = newRoomTicket();
    await transport.dispatch({ ticket, principal: "contract-suite", start });
    const token = await mintUserToken({ apiKey: entry.livekit.apiKey, apiSecret: entry.livekit.apiSecret }, ticket);
    const user = await LiveKitTestUser.join(entry.livekit.url, token, start.audio?.sampleRate ?? 48_000);
    entry.users.push(user);
    await user.waitForEvent((e) => e.type === "session.started" || e.type === "error", 15_000);
    return {
      sendAudio: (samples) => void user.speak(samples),
      sendText: (text) => void user.send({ type: "text", text }),
      sendControl: (action) => void user.send({ type: "control", action }),
      endSession: () => void user.send({ type: "session.end" }),
      waitForEvent: (type, timeoutMs) => user.waitForEvent(type, timeoutMs ?? 15_000),
      frames: () => chunk20ms(user.agentSamples()),
      closed: user.closed,
      disconnect: () => user.disconnect(),
    };
  },
};

transportContractSuite("livekit", harness);

/** The received agent audio cut into 20 ms frames (bytes), as a WebSocket client would hold it. */
function chunk20ms(samples: Int16Array): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset + 960 <= samples.length; offset += 960) {
    frames.push(new Uint8Array(samples.slice(offset, offset + 960).buffer));
  }
  return frames;
}
