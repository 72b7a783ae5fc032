/**
 * The one shared contract suite of the transport seam: frames and events in, frames and events out, for one
 * session. WebSocket runs it now; the LiveKit transport plugs in its own harness.
 *
 * @module
 */
import assert from "node:assert/strict";
import { loudMs, tone } from "./audio_checks.ts";
import type { ControlAction, SessionStart } from "../../../shared/protocol/client_messages.ts";
import type { ServerEvent, ServerEventType } from "../../../shared/protocol/server_events.ts";
import {
  type AgentOutput,
  type SessionAcceptor,
  type SessionInput,
  SessionRejectedError,
  type SessionRequest,
  type TransportServer,
} from "../../../orchestrator/transports/contract.ts";

/** A client of the transport under test, as a user's app would be. */
export interface TransportTestClient {
  sendAudio(samples: Int16Array): void;
  sendText(text: string): void;
  sendControl(action: ControlAction): void;
  endSession(): void;
  waitForEvent(type: ServerEventType, timeoutMs?: number): Promise<ServerEvent>;
  /** Agent frames received so far. */
  frames(): Uint8Array[];
  readonly closed: Promise<{ code: number }>;
  /** Drops the connection without ending the session first. */
  disconnect(): Promise<void>;
}

/** How the suite starts a transport and connects to it. */
export interface TransportHarness {
  start(acceptor: SessionAcceptor): Promise<TransportServer>;
  /** Connects and starts a session with `start`; resolves once the acceptor has run. */
  open(server: TransportServer, start: SessionStart): Promise<TransportTestClient>;
  /**
   * Audio crosses a lossy codec (LiveKit: Opus over WebRTC): it is compared by loudness and duration instead of
   * byte for byte, and its order relative to data messages is not asserted (separate channels).
   */
  lossyAudio?: boolean;
}

/** A session that records its input. */
class RecordingSession implements SessionInput {
  audioFrames: Array<{ samples: Int16Array; sampleRate: number }> = [];
  inputs: string[] = [];
  ends: string[] = [];
  audio(frame: { samples: Int16Array; sampleRate: number }) {
    this.audioFrames.push(frame);
    this.inputs.push(`audio:${frame.samples.length}`);
  }
  text(text: string) {
    this.inputs.push(`text:${text}`);
  }
  control(action: ControlAction) {
    this.inputs.push(`control:${action}`);
  }
  end(reason: string) {
    this.ends.push(reason);
  }
}

/** Records every session the transport creates. */
class RecordingAcceptor {
  sessions: Array<{ request: SessionRequest; output: AgentOutput; session: RecordingSession }> = [];
  reject: SessionRejectedError | null = null;
  readonly accept: SessionAcceptor = (request, output) => {
    if (this.reject) throw this.reject;
    const session = new RecordingSession();
    this.sessions.push({ request, output, session });
    output.sendEvent({
      type: "session.started",
      sessionId: `s${this.sessions.length}`,
      model: "m",
      responder: "echo",
      language: "en",
      inputSampleRate: request.start.audio?.sampleRate ?? 16_000,
      outputSampleRate: 48_000,
      frameMs: 20,
    });
    return session;
  };
}

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Registers the transport contract tests for one transport. */
export function transportContractSuite(name: string, harness: TransportHarness): void {
  const test = (title: string, fn: (server: TransportServer, acceptor: RecordingAcceptor) => Promise<void>) =>
    Deno.test(`transport contract (${name}): ${title}`, async () => {
      const acceptor = new RecordingAcceptor();
      const server = await harness.start(acceptor.accept);
      try {
        await fn(server, acceptor);
      } finally {
        await server.close();
      }
    });

  test("a started session reaches the acceptor and its events reach the client", async (server, acceptor) => {
    const client = await harness.open(server, { type: "session.start", language: "en", audio: { sampleRate: 48_000 } });
    assert.equal(acceptor.sessions.length, 1);
    const { request } = acceptor.sessions[0];
    assert.ok(request.principal.length > 0);
    assert.equal(request.start.audio?.sampleRate, 48_000);
    assert.equal((await client.waitForEvent("session.started")).type, "session.started");
    client.endSession();
    await client.closed;
  });

  test("user audio, text and control arrive in order with the declared rate", async (server, acceptor) => {
    const client = await harness.open(server, { type: "session.start", audio: { sampleRate: 16_000 } });
    if (harness.lossyAudio) {
      client.sendAudio(tone(600, 16_000));
      client.sendText("hello");
      client.sendControl("pause");
      const { session } = acceptor.sessions[0];
      await until(() => loudMs(session.audioFrames.map((f) => f.samples), 16_000) >= 400, "400 ms of the tone");
      await until(() => session.inputs.filter((i) => !i.startsWith("audio:")).length === 2, "text and control");
      assert.deepEqual(session.inputs.filter((i) => !i.startsWith("audio:")), ["text:hello", "control:pause"]);
      assert.ok(session.audioFrames.every((f) => f.sampleRate === 16_000));
      await client.disconnect();
      return;
    }
    const samples = Int16Array.from({ length: 320 }, (_, i) => (i * 97) % 30_000 - 15_000);
    client.sendAudio(samples);
    client.sendText("hello");
    client.sendAudio(samples.subarray(0, 160));
    client.sendControl("pause");
    const { session } = acceptor.sessions[0];
    await until(() => session.inputs.length === 4, "4 inputs");
    assert.deepEqual(session.inputs, ["audio:320", "text:hello", "audio:160", "control:pause"]);
    assert.equal(session.audioFrames[0].sampleRate, 16_000);
    assert.deepEqual(Array.from(session.audioFrames[0].samples), Array.from(samples));
    await client.disconnect();
  });

  test("agent frames and events arrive byte-exact and in order", async (server, acceptor) => {
    const client = await harness.open(server, { type: "session.start" });
    const { output } = acceptor.sessions[0];
    if (harness.lossyAudio) {
      for (let k = 0; k < 25; k++) {
        const pcm = tone(20, 48_000, 500, 8_000, k * 960);
        assert.equal(output.sendAudio(new Uint8Array(pcm.buffer)), true);
      }
      output.sendEvent({ type: "state", state: "speaking" });
      await client.waitForEvent("state");
      const received = () => client.frames().map((f) => new Int16Array(f.buffer, f.byteOffset, f.byteLength / 2));
      await until(() => loudMs(received(), 48_000) >= 400, "400 ms of the agent's tone");
      await client.disconnect();
      return;
    }
    const frames = Array.from({ length: 25 }, (_, k) => new Uint8Array(1920).fill(k + 1));
    for (const f of frames) assert.equal(output.sendAudio(f), true);
    output.sendEvent({ type: "state", state: "speaking" });
    await client.waitForEvent("state");
    await until(() => client.frames().length === 25, "25 frames");
    client.frames().forEach((f, k) => assert.deepEqual(f, frames[k], `frame ${k}`));
    await client.disconnect();
  });

  test("ending the session from the client ends it once with client_end", async (server, acceptor) => {
    const client = await harness.open(server, { type: "session.start" });
    client.endSession();
    assert.equal((await client.closed).code, 1000);
    const { session } = acceptor.sessions[0];
    await until(() => session.ends.length > 0, "end");
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(session.ends, ["client_end"]);
  });

  test("a client that goes away ends its session as disconnected", async (server, acceptor) => {
    const client = await harness.open(server, { type: "session.start" });
    await client.disconnect();
    const { session } = acceptor.sessions[0];
    await until(() => session.ends.length > 0, "end");
    assert.deepEqual(session.ends, ["disconnected"]);
  });

  test("a fatal failure from the session sends an error event, then closes with its code", async (server, acceptor) => {
    const client = await harness.open(server, { type: "session.start" });
    acceptor.sessions[0].output.fail("internal", "boom", { fatal: true, closeCode: 1011 });
    const error = await client.waitForEvent("error");
    assert.deepEqual({ ...error, receivedAtMs: undefined }, {
      type: "error",
      code: "internal",
      message: "boom",
      fatal: true,
      receivedAtMs: undefined,
    });
    assert.equal((await client.closed).code, 1011);
    assert.equal(acceptor.sessions[0].output.open, false);
  });

  test("a rejected session start gives the client the error and the close code", async (server, acceptor) => {
    acceptor.reject = new SessionRejectedError("too_many_sessions", "limit reached", 4029);
    const client = await harness.open(server, { type: "session.start" }).catch((e) => e as Error);
    if (client instanceof Error) throw client;
    const error = await client.waitForEvent("error");
    assert.equal((error as { code: string }).code, "too_many_sessions");
    assert.equal((await client.closed).code, 4029);
  });

  test("closing the server ends every session with server_shutdown", async (server, acceptor) => {
    const a = await harness.open(server, { type: "session.start" });
    const b = await harness.open(server, { type: "session.start" });
    await server.close();
    assert.equal((await a.closed).code, 1001);
    assert.equal((await b.closed).code, 1001);
    assert.deepEqual(acceptor.sessions.map((s) => s.session.ends), [["server_shutdown"], ["server_shutdown"]]);
  });
}
