/**
 * The LiveKit transport against a real LiveKit server, beyond the shared contract: several rooms at once stay
 * isolated, agents leave when users leave or never come, hostile data packets are refused with the WebSocket
 * protocol's codes, an event too large for one packet arrives whole, a committed interruption cuts the audio already
 * queued on the track, a room takes no third participant, and an unreachable LiveKit fails a dispatch with a clear message.
 */
import assert from "node:assert/strict";
import type { SessionStart } from "../../../../shared/protocol/client_messages.ts";
import type { AgentOutput, SessionAcceptor, SessionInput } from "../../../../orchestrator/transports/contract.ts";
import { mintUserToken, newRoomTicket } from "../../../../orchestrator/transports/livekit/tokens.ts";
import { type LiveKitTransport, startLiveKitTransport } from "../../../../orchestrator/transports/livekit/transport.ts";
import { freePort } from "../../../../harness/ports.ts";
import { LiveKitServer } from "../../../../harness/livekit_server.ts";
import { LiveKitTestUser } from "../../../../harness/livekit_test_user.ts";
import { loudMs, tone, until } from "../audio_checks.ts";

/** Sessions as the transport created them, with what each received. */
class Sessions {
  entries: Array<{ output: AgentOutput; inputs: string[]; ends: string[]; principal: string }> = [];
  readonly accept: SessionAcceptor = (request, output) => {
    const entry = { output, inputs: [] as string[], ends: [] as string[], principal: request.principal };
    this.entries.push(entry);
    output.sendEvent({
      type: "session.started",
      sessionId: `s${this.entries.length}`,
      model: "m",
      responder: "echo",
      language: "en",
      inputSampleRate: request.start.audio?.sampleRate ?? 48_000,
      outputSampleRate: 48_000,
      frameMs: 20,
    });
    const session: SessionInput = {
      audio: (f) => entry.inputs.push(`audio:${f.samples.length}`),
      text: (t) => entry.inputs.push(`text:${t}`),
      control: (a) => entry.inputs.push(`control:${a}`),
      end: (r) => entry.ends.push(r),
    };
    return session;
  };
}

interface Rig {
  livekit: LiveKitServer;
  transport: LiveKitTransport;
  sessions: Sessions;
  users: LiveKitTestUser[];
  /** Codes the transport reported through `onError` (the errors metric). */
  errors: string[];
  join(start?: SessionStart, principal?: string): Promise<LiveKitTestUser>;
}

function rigTest(name: string, fn: (rig: Rig) => Promise<void>, options: { userJoinTimeoutMs?: number } = {}) {
  Deno.test(`livekit transport: ${name}`, async () => {
    const livekit = await LiveKitServer.start();
    const sessions = new Sessions();
    const users: LiveKitTestUser[] = [];
    const errors: string[] = [];
    const transport = await startLiveKitTransport({
      url: livekit.url,
      apiKey: livekit.apiKey,
      apiSecret: livekit.apiSecret,
      acceptor: sessions.accept,
      userJoinTimeoutMs: options.userJoinTimeoutMs,
      onError: (code) => errors.push(code),
    });
    const rig: Rig = {
      livekit,
      transport,
      sessions,
      users,
      errors,
      async join(start = { type: "session.start" }, principal = "tester") {
        const ticket = newRoomTicket();
        await transport.dispatch({ ticket, principal, start });
        const user = await LiveKitTestUser.join(livekit.url, await mintUserToken(livekit, ticket));
        users.push(user);
        await user.waitForEvent("session.started");
        return user;
      },
    };
    try {
      await fn(rig);
    } finally {
      await transport.close();
      for (const user of users) await user.disconnect().catch(() => {});
      await livekit.stop();
    }
  });
}

rigTest("three rooms at once each get their own session, events and audio", async (rig) => {
  const users = await Promise.all([0, 1, 2].map((i) => rig.join({ type: "session.start" }, `p${i}`)));
  assert.equal(rig.transport.connectionCount(), 3);
  assert.equal(rig.transport.sessionCount(), 3);
  const ids = users.map((u) => (u.events.find((e) => e.type === "session.started") as { sessionId: string }).sessionId);
  assert.equal(new Set(ids).size, 3, `distinct sessions: ${ids}`);
  // Only the second room's agent speaks; only the second user may hear it.
  const speaker = rig.sessions.entries.find((e) => e.principal === "p1")!;
  for (let k = 0; k < 20; k++) speaker.output.sendAudio(new Uint8Array(tone(20, 48_000, 500, 8_000, k * 960).buffer));
  speaker.output.sendEvent({ type: "state", state: "speaking" });
  const hearer = users[ids.indexOf(`s${rig.sessions.entries.indexOf(speaker) + 1}`)];
  await hearer.waitForEvent("state");
  await until(() => loudMs([hearer.agentSamples()], 48_000) >= 300, "the speaking room's user hears the tone");
  await new Promise((r) => setTimeout(r, 300));
  for (const user of users) {
    if (user === hearer) continue;
    assert.equal(loudMs([user.agentSamples()], 48_000), 0, "other rooms hear nothing");
    assert.equal(user.events.filter((e) => e.type === "state").length, 0, "other rooms get no events");
  }
});

rigTest("a user leaving ends the session as disconnected and the agent leaves the room", async (rig) => {
  const user = await rig.join();
  await user.disconnect();
  await until(() => rig.sessions.entries[0].ends.length > 0, "session end");
  assert.deepEqual(rig.sessions.entries[0].ends, ["disconnected"]);
  await until(() => rig.transport.connectionCount() === 0, "the agent to leave");
});

rigTest("an agent whose user never comes leaves after the join timeout", async (rig) => {
  await rig.transport.dispatch({ ticket: newRoomTicket(), principal: "nobody", start: { type: "session.start" } });
  assert.equal(rig.transport.connectionCount(), 1);
  await until(() => rig.transport.connectionCount() === 0, "the agent to give up", 10_000);
  assert.equal(rig.sessions.entries.length, 0, "no session was created");
}, { userJoinTimeoutMs: 500 });

rigTest("data that is not the protocol is refused with the WebSocket error codes", async (rig) => {
  const cases: Array<{ payload: Uint8Array | Record<string, unknown>; code: string; close: number }> = [
    { payload: new Uint8Array([0xff, 0xfe, 0x00]), code: "bad_json", close: 1008 },
    { payload: new TextEncoder().encode("{not json"), code: "bad_json", close: 1008 },
    { payload: { type: "session.start" }, code: "duplicate_start", close: 1008 },
    { payload: { type: "control", action: "explode" }, code: "bad_message", close: 1008 },
    { payload: { type: "text", text: "x".repeat(20_000) }, code: "message_too_big", close: 1009 },
  ];
  for (const { payload, code, close } of cases) {
    const user = await rig.join();
    const bytes = payload instanceof Uint8Array ? payload : new TextEncoder().encode(JSON.stringify(payload));
    await user.send(bytes);
    const error = await user.waitForEvent("error");
    assert.equal((error as { code: string }).code, code, `${code}: ${JSON.stringify(error)}`);
    assert.equal((await user.closed).code, close, code);
  }
  assert.deepEqual(rig.sessions.entries.map((e) => e.ends), cases.map(() => ["violation"]));
  assert.deepEqual(rig.errors, cases.map((c) => c.code), "each refusal is counted by its code");
});

rigTest("a flood of data messages is refused", async (rig) => {
  const user = await rig.join();
  for (let i = 0; i < 80; i++) void user.send({ type: "control", action: "pause" });
  const error = await user.waitForEvent("error");
  assert.equal((error as { code: string }).code, "flood");
  assert.equal((await user.closed).code, 1008);
});

rigTest("an event too large for one data packet arrives whole and in order with the events around it", async (rig) => {
  const user = await rig.join();
  const { output } = rig.sessions.entries.at(-1)!;
  const text = Array.from({ length: 8_000 }, (_, i) => `word${i}`).join(" "); // ~70 KB: LiveKit drops > ~15 KiB
  output.sendEvent({ type: "state", state: "speaking" });
  output.sendEvent({ type: "response.done", responseId: "r1", text, audioMs: 1, frames: 1, seqGaps: 0 });
  output.sendEvent({ type: "state", state: "listening" });
  await user.waitForEvent((e) => e.type === "state" && e.state === "listening");
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(user.events.map((e) => e.type), ["session.started", "state", "response.done", "state"]);
  const done = user.events.find((e) => e.type === "response.done") as { text: string };
  assert.equal(done.text, text, "the long text arrives intact");
  assert.deepEqual(user.invalid, []);
});

rigTest("clearAudio drops the agent audio still queued on the track", async (rig) => {
  // 480 ms of tone handed over at once (as the pacer's lead would, only more), then the session stops the response.
  const measure = async (interrupt: boolean) => {
    const user = await rig.join();
    const { output } = rig.sessions.entries.at(-1)!;
    for (let k = 0; k < 24; k++) output.sendAudio(new Uint8Array(tone(20, 48_000, 500, 8_000, k * 960).buffer));
    if (interrupt) {
      await new Promise((r) => setTimeout(r, 60));
      output.clearAudio();
    }
    await new Promise((r) => setTimeout(r, 1_500));
    return loudMs([user.agentSamples()], 48_000);
  };
  const full = await measure(false);
  const cut = await measure(true);
  assert.ok(full >= 350, `without an interruption the whole tone plays (${full} ms)`);
  assert.ok(cut <= full - 200, `the interruption cut the queued audio (${cut} ms heard of ${full} ms)`);
});

rigTest("a room takes no third participant", async (rig) => {
  const ticket = newRoomTicket();
  await rig.transport.dispatch({ ticket, principal: "p", start: { type: "session.start" } });
  const user = await LiveKitTestUser.join(rig.livekit.url, await mintUserToken(rig.livekit, ticket));
  rig.users.push(user);
  await user.waitForEvent("session.started");
  const intruderTicket = { roomName: ticket.roomName, userIdentity: "user-intruder" };
  const attempt = LiveKitTestUser.join(rig.livekit.url, await mintUserToken(rig.livekit, intruderTicket), 0);
  await assert.rejects(attempt, "the room is full");
  assert.equal(rig.sessions.entries.length, 1);
});

Deno.test("livekit transport: an unreachable LiveKit fails the dispatch with a message naming it", async () => {
  const url = `ws://127.0.0.1:${freePort()}`;
  const transport = await startLiveKitTransport({
    url,
    apiKey: "k",
    apiSecret: "s".repeat(32),
    acceptor: () => {
      throw new Error("no session expected");
    },
    connectTimeoutMs: 5_000,
  });
  try {
    const ticket = newRoomTicket();
    await assert.rejects(
      transport.dispatch({ ticket, principal: "p", start: { type: "session.start" } }),
      (e: Error) => {
        assert.ok(e.message.length > 0);
        return true;
      },
    );
    assert.equal(transport.connectionCount(), 0);
  } finally {
    await transport.close();
  }
});

Deno.test("livekit transport: bad settings are refused at start", async () => {
  const acceptor: SessionAcceptor = () => {
    throw new Error("unused");
  };
  await assert.rejects(
    startLiveKitTransport({ url: "ftp://x", apiKey: "k", apiSecret: "s", acceptor }),
    /must be ws:\/\/, wss:\/\/, http:\/\/ or https:\/\//,
  );
  await assert.rejects(
    startLiveKitTransport({ url: "ws://127.0.0.1:1", apiKey: "", apiSecret: "", acceptor }),
    /LIVEKIT_API_KEY/,
  );
});
