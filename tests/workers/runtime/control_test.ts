import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import type { AudioFrame } from "../../../proto/gen/tts.ts";
import { MockAdapter } from "../../../workers/mock/mock_adapter.ts";
import { slowAdapter } from "./slow_adapter.ts";
import {
  chunk,
  collect,
  concatAudio,
  ControlCommand,
  startTestWorker,
  type SynthesisResult,
  TestClient,
  waitFor,
} from "./worker_harness.ts";

const {
  CONTROL_COMMAND_PAUSE: PAUSE,
  CONTROL_COMMAND_RESUME: RESUME,
  CONTROL_COMMAND_STOP: STOP,
  CONTROL_COMMAND_RELOAD: RELOAD,
} = ControlCommand;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TEXT_A = "The quick brown fox jumps over the lazy dog. ".repeat(2); // 90 chars = 5.4 s = 270 frames
const TEXT_B = "Pack my box with five dozen liquor jugs. ".repeat(5); // 205 chars, ~1.8 s to compute

/** A stream whose frames are counted as they arrive. */
function startStream(client: TestClient, sessionId: string, text: string) {
  const frames: AudioFrame[] = [];
  const call = client.openStream();
  const done: Promise<SynthesisResult> = collect(call, (f) => frames.push(f));
  call.write(chunk(sessionId, text));
  call.end();
  return { frames, done };
}

async function withWorker(fn: (client: TestClient, log: ReturnType<typeof slowAdapter>["log"]) => Promise<void>) {
  // 100 ms of audio every 15 ms: fast enough for a short test, slow enough that a stream is still running when
  // the test sends its commands.
  const adapter = slowAdapter(new MockAdapter(), { chunkDelayMs: 15 });
  const worker = await startTestWorker({ adapter });
  const client = new TestClient(`127.0.0.1:${worker.port}`);
  try {
    await fn(client, adapter.log);
  } finally {
    client.close();
    await worker.shutdown("test over");
  }
}

Deno.test("PAUSE and RESUME act on one session only, and lose or repeat nothing", async () => {
  await withWorker(async (client) => {
    await client.startSession("ref");
    const referenceA = concatAudio((await client.synthesize("ref", [TEXT_A])).frames);
    const referenceB = concatAudio((await client.synthesize("ref", [TEXT_B])).frames);

    await client.startSession("a");
    await client.startSession("b"); // same model as "a"
    const a = startStream(client, "a", TEXT_A);
    const b = startStream(client, "b", TEXT_B);
    await waitFor(() => a.frames.length >= 10, "first frames of session a");
    assert.deepEqual(await client.control("a", PAUSE), { applied: true, state: "paused" });
    assert.deepEqual(await client.control("a", PAUSE), { applied: false, state: "paused" });
    await sleep(150); // frames already in flight land
    const heldAt = a.frames.length;
    const bBefore = b.frames.length;
    await sleep(400);
    assert.equal(a.frames.length, heldAt, "a paused session sends no frames");
    assert.ok(b.frames.length > bBefore, "the other session keeps streaming");
    assert.deepEqual(await client.control("b", RESUME), { applied: false, state: "synthesizing" });
    assert.deepEqual(await client.control("a", RESUME), { applied: true, state: "synthesizing" });

    const [resultA, resultB] = await Promise.all([a.done, b.done]);
    assert.equal(resultA.error, null);
    assert.equal(resultB.error, null);
    assert.deepEqual(resultA.frames.map((f) => f.sequenceNumber), resultA.frames.map((_, i) => i + 1));
    assert.deepEqual(concatAudio(resultA.frames), referenceA, "paused stream = unpaused stream, byte for byte");
    assert.deepEqual(concatAudio(resultB.frames), referenceB);
    assert.deepEqual(await client.control("a", PAUSE), { applied: false, state: "idle" });
  });
});

Deno.test("a paused session pulls no audio from the adapter", async () => {
  await withWorker(async (client, log) => {
    await client.startSession("p");
    const p = startStream(client, "p", TEXT_A);
    await waitFor(() => p.frames.length >= 5, "first frames");
    await client.control("p", PAUSE);
    await sleep(200); // a chunk being computed when PAUSE came still lands
    const produced = log.producedAt.length;
    await sleep(300);
    assert.equal(log.producedAt.length, produced, "no chunk is computed while paused");
    await client.control("p", RESUME);
    assert.equal((await p.done).error, null);
  });
});

Deno.test("STOP cancels one session's stream, leaves the other alone, and the session synthesizes again", async () => {
  await withWorker(async (client) => {
    await client.startSession("keep");
    await client.startSession("stop");
    const keep = startStream(client, "keep", TEXT_B);
    const stop = startStream(client, "stop", TEXT_A);
    await waitFor(() => stop.frames.length >= 5, "first frames of the stopped session");
    assert.deepEqual(await client.control("stop", STOP), { applied: true, state: "idle" });
    const stopped = await stop.done;
    assert.equal(stopped.error?.code, status.CANCELLED);
    assert.match(stopped.error!.details, /stopped by STOP/);
    assert.ok(stopped.frames.length < 270);
    assert.equal(stopped.frames.filter((f) => f.isFinal).length, 0);
    assert.deepEqual(await client.control("stop", STOP), { applied: false, state: "idle" });

    const kept = await keep.done;
    assert.equal(kept.error, null);
    assert.equal(kept.frames.filter((f) => f.isFinal).length, 1);

    const again = await client.synthesize("stop", ["After the stop."]);
    assert.equal(again.error, null);
    assert.equal(again.frames[0].sequenceNumber, 1);
    assert.equal(again.frames.filter((f) => f.isFinal).length, 1);
  });
});

Deno.test("STOP releases a pause, and a second stream on a busy session is refused", async () => {
  await withWorker(async (client) => {
    await client.startSession("s");
    const first = startStream(client, "s", TEXT_A);
    await waitFor(() => first.frames.length >= 3, "first frames");
    const second = await client.synthesize("s", ["overlap"]);
    assert.equal(second.error?.code, status.FAILED_PRECONDITION);
    await client.control("s", PAUSE);
    assert.deepEqual(await client.control("s", STOP), { applied: true, state: "idle" });
    assert.equal((await first.done).error?.code, status.CANCELLED);
    assert.equal((await client.synthesize("s", ["fresh start"])).error, null);
  });
});

Deno.test("RELOAD loads the session's model afresh while a running stream finishes on the old copy", async () => {
  await withWorker(async (client, log) => {
    await client.startSession("r");
    const running = startStream(client, "r", TEXT_A);
    await waitFor(() => running.frames.length >= 3, "first frames");
    const loadsBefore = log.loads.length;
    assert.deepEqual(await client.control("r", RELOAD), { applied: true, state: "synthesizing" });
    assert.equal(log.loads.length, loadsBefore + 1);
    const finished = await running.done;
    assert.equal(finished.error, null);
    assert.equal(finished.frames.filter((f) => f.isFinal).length, 1);
    assert.ok(log.disposed.includes("mock-440hz"), "the old copy is disposed once its stream ended");
    assert.equal((await client.synthesize("r", ["after the reload"])).error, null);
  });
});
