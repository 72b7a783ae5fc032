/**
 * The hostile corpus's LiveKit batch: malformed and abusive data packets sent by a real participant (`@livekit/rtc-node`)
 * through a real LiveKit server to the real orchestrator (light stack with the LiveKit transport). Packets on topics
 * the agent does not read (its own event and close topics, parts of `voice.events.part` that never finish, random and
 * huge topic names, lossy and reliable) are ignored and the session goes on; bad JSON, binary, wrong or oversized
 * messages and a flood on the control topic end that session with the WebSocket protocol's close code. After each
 * batch `/health` is 200, a WebSocket session works and a fresh LiveKit room answers a turn.
 *
 * @module
 */
import assert from "node:assert/strict";
import { LiveKitServer } from "../../harness/livekit_server.ts";
import { LiveKitTestUser } from "../../harness/livekit_test_user.ts";
import { seededRandom } from "../../harness/random.ts";
import { CLOSE_TOPIC, CONTROL_TOPIC, encodeJson, EVENTS_TOPIC } from "../../shared/protocol/data_channel.ts";
import { PARTS_TOPIC, splitIntoParts } from "../../shared/protocol/packet_parts.ts";
import { LIGHT_KEY, type LightStack, startLightStack } from "./light_stack.ts";

const encode = (text: string) => new TextEncoder().encode(text);

let rooms = 0;

/**
 * A LiveKit room with the agent in it, through the orchestrator's own token service (each from its own forwarded
 * address: the endpoint allows 5 requests per address at once, and the test is its loopback "proxy").
 */
async function joinRoom(stack: LightStack): Promise<LiveKitTestUser> {
  const base = stack.orchestrator.wsUrl.replace(/^ws/, "http");
  const headers = { "x-api-key": LIGHT_KEY, "x-forwarded-for": `198.51.100.${++rooms % 250}` };
  const response = await fetch(`${base}/api/connection-details`, { method: "POST", headers });
  const details = await response.json();
  assert.equal(details.transport, "livekit", `room ${rooms}: ${JSON.stringify(details)}`);
  const user = await LiveKitTestUser.join(details.serverUrl, details.participantToken);
  await user.waitForEvent("session.started");
  return user;
}

/** A text turn in the room is answered (the session is alive). */
async function answersTurn(user: LiveKitTestUser, text: string): Promise<void> {
  await user.send({ type: "text", text });
  const done = await user.waitForEvent((e) => e.type === "response.done" && (e as { text?: string }).text === text);
  assert.ok(done);
}

async function afterBatch(stack: LightStack, batch: string): Promise<void> {
  assert.equal(await stack.healthy(), true, `${batch}: /health after the batch`);
  await stack.goodSession();
  const user = await joinRoom(stack);
  try {
    await answersTurn(user, `a good turn after ${batch}`);
  } finally {
    await user.disconnect();
  }
}

Deno.test("hostile corpus, LiveKit: malformed and abusive data packets through a real LiveKit server", async (t) => {
  const livekit = await LiveKitServer.start();
  const stack = await startLightStack({
    env: { LIVEKIT_URL: livekit.url, LIVEKIT_API_KEY: livekit.apiKey, LIVEKIT_API_SECRET: livekit.apiSecret },
  });
  const random = seededRandom(1314);
  let total = 0;
  try {
    await t.step("packets on topics the agent does not read are ignored; the session goes on", async () => {
      const user = await joinRoom(stack);
      try {
        const packets: Array<[string, Uint8Array, boolean]> = [];
        const turn = encodeJson({ type: "text", text: "not on the control topic" });
        for (const topic of [EVENTS_TOPIC, CLOSE_TOPIC, "", "voice.control ", "VOICE.CONTROL", "x".repeat(1000)]) {
          packets.push([topic, turn, true], [topic, turn, false]);
        }
        // Parts of a large "event" that never finish (first parts only), and parts with garbage headers.
        const big = encodeJson({ type: "session.end", pad: "p".repeat(60_000) });
        for (let id = 1; id <= 10; id++) {
          const parts = splitIntoParts(id, big, 14 * 1024);
          for (const part of parts.slice(0, parts.length - 1)) packets.push([PARTS_TOPIC, part, true]);
        }
        for (let i = 0; i < 20; i++) {
          const bytes = Uint8Array.from({ length: 1 + Math.floor(random() * 2000) }, () => Math.floor(random() * 256));
          packets.push([PARTS_TOPIC, bytes, i % 2 === 0]);
        }
        for (let i = 0; i < 20; i++) {
          const topic = String.fromCharCode(
            ...Array.from({ length: 1 + (i % 12) }, () => 33 + Math.floor(random() * 94)),
          );
          packets.push([topic, encode(`{"type":"session.end"}`), i % 2 === 0]);
        }
        for (const [topic, payload, reliable] of packets) await user.sendRaw(payload, topic, reliable);
        total += packets.length;
        await answersTurn(user, "still here after the ignored packets");
      } finally {
        await user.disconnect();
      }
      await afterBatch(stack, "ignored topics");
    });

    await t.step("bad control packets end their session with the protocol's close code", async () => {
      const cases: Array<[string, Uint8Array[], number[]]> = [
        ["bad JSON", [encode("{not json")], [1008]],
        ["binary garbage", [Uint8Array.from({ length: 512 }, (_, i) => (i * 37) & 0xff)], [1008]],
        ["invalid UTF-8", [Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d])], [1008]],
        ["JSON array", [encode("[1,2,3]")], [1008]],
        ["unknown type", [encode(`{"type":"drop.tables"}`)], [1008]],
        ["a 14 KB text (about LiveKit's largest packet, over the text limit)", [
          encodeJson({ type: "text", text: "a".repeat(14_000) }),
        ], [1008]],
        ["a flood of 200 turns", Array.from({ length: 200 }, (_, i) => encodeJson({ type: "text", text: `t${i}` })), [
          1008,
        ]],
      ];
      const wrong: string[] = [];
      const seen: string[] = [];
      for (const [name, payloads, codes] of cases) {
        const user = await joinRoom(stack);
        try {
          for (const payload of payloads) await user.sendRaw(payload, CONTROL_TOPIC, true);
          const closed = await Promise.race([
            user.closed,
            new Promise<null>((r) => setTimeout(() => r(null), 10_000)),
          ]);
          seen.push(`${name}: ${closed?.code} ${closed?.reason}`);
          if (!closed || !codes.includes(closed.code)) {
            wrong.push(`${name}: ${JSON.stringify(closed)} (expected ${codes})`);
          }
        } finally {
          await user.disconnect();
        }
        total += payloads.length;
      }
      console.log(seen.join("; "));
      assert.deepEqual(wrong, []);
      await afterBatch(stack, "bad control packets");
    });
    console.log(`hostile corpus, LiveKit: ${total} packets, services healthy after each batch`);
  } finally {
    await stack.close();
    await livekit.stop();
  }
});
