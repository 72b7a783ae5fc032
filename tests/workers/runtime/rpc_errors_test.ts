import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import type { ControlCommand as Command } from "../../../proto/gen/tts.ts";
import { MockAdapter } from "../../../workers/mock/mock_adapter.ts";
import { slowAdapter } from "./slow_adapter.ts";
import { chunk, collect, ControlCommand, startTestWorker, TestClient } from "./worker_harness.ts";

type RpcFailure = { code: number; details: string };

/** Asserts that `promise` fails with `code` and a message matching `pattern`. */
async function rejectsWith(promise: Promise<unknown>, code: number, pattern?: RegExp) {
  await assert.rejects(promise, (e: RpcFailure) => {
    assert.equal(status[e.code], status[code], `got ${status[e.code]}: ${e.details}`);
    if (pattern) assert.match(e.details, pattern);
    return true;
  });
}

/** Runs a Synthesize stream with raw chunks and returns its error (or null). */
async function streamError(client: TestClient, chunks: ReturnType<typeof chunk>[]) {
  const call = client.openStream();
  const result = collect(call);
  for (const c of chunks) call.write(c);
  call.end();
  return (await result).error;
}

async function assertStillServing(client: TestClient) {
  assert.equal(await client.health(), "SERVING");
  await client.startSession("healthy-check");
  const { frames, error } = await client.synthesize("healthy-check", ["still fine"]);
  assert.equal(error, null);
  assert.equal(frames.filter((f) => f.isFinal).length, 1);
  await client.endSession("healthy-check");
}

Deno.test("bad Synthesize input gets the right status and the worker keeps serving", async () => {
  const worker = await startTestWorker({ maxTextChars: 500 });
  const client = new TestClient(`127.0.0.1:${worker.port}`);
  try {
    await client.startSession("s");
    const cases: Array<[string, ReturnType<typeof chunk>[], number, RegExp]> = [
      ["unknown session", [chunk("nope", "hi")], status.NOT_FOUND, /session "nope" not found/],
      ["missing session id", [chunk("", "hi")], status.INVALID_ARGUMENT, /first TextChunk.*session_id is required/],
      ["invalid session id", [chunk("bad id!", "hi")], status.INVALID_ARGUMENT, /session_id "bad id!" is invalid/],
      ["empty text", [chunk("s", "")], status.INVALID_ARGUMENT, /text is empty/],
      ["empty later text", [chunk("s", "ok"), chunk("", "")], status.INVALID_ARGUMENT, /text is empty/],
      ["too long", [chunk("s", "x".repeat(501))], status.INVALID_ARGUMENT, /501 characters; the limit is 500/],
      ["other session", [chunk("s", "a"), chunk("t", "b")], status.INVALID_ARGUMENT, /differs from the stream/],
      ["no chunk at all", [], status.INVALID_ARGUMENT, /before its first TextChunk/],
    ];
    for (const [name, chunks, code, pattern] of cases) {
      const error = await streamError(client, chunks);
      assert.ok(error, `${name}: expected an error`);
      assert.equal(status[error.code], status[code], `${name}: ${error.details}`);
      assert.match(error.details, pattern, name);
    }
    const huge = await streamError(client, [chunk("s", "x".repeat(1024 * 1024))]);
    assert.equal(status[huge!.code], "RESOURCE_EXHAUSTED", huge!.details);
    await assertStillServing(client);
  } finally {
    client.close();
    await worker.shutdown("test over");
  }
});

Deno.test("bad unary requests get the right status and the worker keeps serving", async () => {
  const adapter = slowAdapter(new MockAdapter(), { failLoads: new Set(["mock-666hz"]) });
  const worker = await startTestWorker({ adapter, maxSessions: 3 });
  const client = new TestClient(`127.0.0.1:${worker.port}`);
  try {
    await rejectsWith(client.startSession(""), status.INVALID_ARGUMENT, /session_id is required/);
    await rejectsWith(client.startSession("x".repeat(129)), status.INVALID_ARGUMENT, /is invalid/);
    await rejectsWith(client.startSession("m", "mock-5hz"), status.NOT_FOUND, /model "mock-5hz" not found/);
    await rejectsWith(client.startSession("m", "piper-en-us-x"), status.NOT_FOUND, /not found/);
    await rejectsWith(client.startSession("m", "", { speed: 9, language: "" }), status.INVALID_ARGUMENT, /speed 9/);
    await rejectsWith(
      client.startSession("m", "", { speakerId: 3, language: "" }),
      status.INVALID_ARGUMENT,
      /speaker_id 3/,
    );
    await rejectsWith(client.startSession("m", "mock-666hz"), status.FAILED_PRECONDITION, /failed to load.*corrupt/);
    await rejectsWith(client.startSession("s".repeat(1024 * 1024)), status.RESOURCE_EXHAUSTED);

    await client.startSession("one");
    await rejectsWith(client.startSession("one"), status.ALREADY_EXISTS, /already exists/);
    await client.startSession("two");
    await client.startSession("three");
    await rejectsWith(client.startSession("four"), status.RESOURCE_EXHAUSTED, /WORKER_MAX_SESSIONS=3/);
    await client.endSession("three");

    await rejectsWith(client.control("", ControlCommand.CONTROL_COMMAND_PAUSE), status.INVALID_ARGUMENT);
    await rejectsWith(client.control("ghost", ControlCommand.CONTROL_COMMAND_PAUSE), status.NOT_FOUND);
    await rejectsWith(
      client.control("one", ControlCommand.CONTROL_COMMAND_UNSPECIFIED),
      status.INVALID_ARGUMENT,
      /UNSPECIFIED is not one of PAUSE, RESUME, STOP, RELOAD/,
    );
    await rejectsWith(client.control("one", 99 as Command), status.INVALID_ARGUMENT, /command 99/);
    await rejectsWith(client.endSession("ghost"), status.NOT_FOUND);

    await rejectsWith(client.loadModel(""), status.INVALID_ARGUMENT, /model_id is required/);
    await rejectsWith(client.loadModel("mock-0hz"), status.NOT_FOUND);
    await rejectsWith(client.unloadModel("mock-0hz"), status.NOT_FOUND);
    await rejectsWith(client.unloadModel("mock-440hz"), status.FAILED_PRECONDITION, /held by 2 session/);

    await client.endSession("one");
    await client.endSession("two");
    await assertStillServing(client);
  } finally {
    client.close();
    await worker.shutdown("test over");
  }
});

Deno.test("an adapter failing mid-stream ends that stream with INTERNAL and the worker keeps serving", async () => {
  const worker = await startTestWorker({ adapter: slowAdapter(new MockAdapter(), { failOnText: "BOOM" }) });
  const client = new TestClient(`127.0.0.1:${worker.port}`);
  try {
    await client.startSession("s");
    const { frames, error } = await client.synthesize("s", ["This part is fine. ", "Then BOOM."]);
    assert.equal(error?.code, status.INTERNAL);
    assert.match(error!.details, /inference crashed/);
    assert.equal(frames.filter((f) => f.isFinal).length, 0);
    assert.equal((await client.synthesize("s", ["The same session works again."])).error, null);
    await client.endSession("s");
    await assertStillServing(client);
  } finally {
    client.close();
    await worker.shutdown("test over");
  }
});
