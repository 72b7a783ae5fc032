/**
 * What one gRPC client can make a worker hold: text per stream is capped, text waiting for synthesis is bounded with
 * backpressure (the worker stops reading instead of queueing), a call that never sends its first chunk is ended,
 * and model ids never reach a path join unless they are plain names.
 */
import assert from "node:assert/strict";
import { type ServiceError, status } from "@grpc/grpc-js";
import { TextInput } from "../../workers/runtime/text_input.ts";
import { voiceDir } from "../../workers/piper/catalog.ts";
import { MockAdapter } from "../../workers/mock/mock_adapter.ts";
import type { TtsAdapter } from "../../workers/runtime/adapter.ts";
import { chunk, collect, startTestWorker, TestClient } from "../workers/runtime/worker_harness.ts";
import { slowAdapter } from "../workers/runtime/slow_adapter.ts";

Deno.test("text input: queued text above the limit holds the call, taking it releases it, twice is refused", async () => {
  const holds: boolean[] = [];
  const input = new TextInput(
    "s",
    { maxTextChars: 1000, maxStreamChars: 100_000, maxQueuedChars: 1000 },
    (hold) => holds.push(hold),
  );
  for (let i = 0; i < 3; i++) input.accept(chunk("", "a".repeat(400)));
  assert.deepEqual(holds, [true], "1200 queued > 1000: stop reading");
  input.accept(chunk("", "b".repeat(700)));
  const over = (() => {
    try {
      input.accept(chunk("", "c".repeat(200)));
    } catch (error) {
      return error as ServiceError;
    }
  })();
  assert.equal(over?.code, status.RESOURCE_EXHAUSTED, "2100 > 2 x 1000");
  assert.match(over!.message, /WORKER_MAX_QUEUED_CHARS/);
  const pieces = input.pieces();
  for (let i = 0; i < 3; i++) await pieces.next();
  assert.deepEqual(holds, [true], "700 left > half of the limit: still held");
  assert.equal(input.queuedChars, 700);
  await pieces.next();
  assert.deepEqual(holds, [true, false], "nothing left: read again");
});

Deno.test("worker limits: a stream carrying more than WORKER_MAX_STREAM_CHARS is refused", async () => {
  const worker = await startTestWorker({ maxTextChars: 4000, limits: { maxStreamChars: 10_000 } });
  const client = new TestClient(`127.0.0.1:${worker.port}`);
  try {
    await client.startSession("s");
    const { error } = await client.synthesize("s", Array.from({ length: 4 }, () => "word ".repeat(800)));
    assert.equal(error?.code, status.RESOURCE_EXHAUSTED);
    assert.match(error!.details, /WORKER_MAX_STREAM_CHARS/);
    const again = await client.synthesize("s", ["The session still works."]);
    assert.equal(again.error, null);
  } finally {
    client.close();
    await worker.shutdown("test");
  }
});

Deno.test("worker limits: a flood of text faster than synthesis is held back, not queued or refused", async () => {
  const adapter = slowAdapter(new MockAdapter() as TtsAdapter, { chunkDelayMs: 1 });
  const worker = await startTestWorker({ adapter, maxTextChars: 1000, limits: { maxQueuedChars: 300 } });
  const client = new TestClient(`127.0.0.1:${worker.port}`);
  try {
    await client.startSession("s");
    // 12 x 150 characters written at once: six times the queue limit.
    const texts = Array.from({ length: 12 }, (_, i) => `Sentence ${i}. `.padEnd(150, "x"));
    const { frames, error } = await client.synthesize("s", texts);
    assert.equal(error, null, "held back by flow control, never refused");
    assert.equal(frames.at(-1)?.textEnd, texts.join("").length, "all of the text was spoken");
  } finally {
    client.close();
    await worker.shutdown("test");
  }
});

Deno.test("worker limits: a Synthesize call without a first chunk ends after WORKER_FIRST_CHUNK_TIMEOUT_MS", async () => {
  const worker = await startTestWorker({ limits: { firstChunkTimeoutMs: 200 } });
  const client = new TestClient(`127.0.0.1:${worker.port}`);
  try {
    const call = client.openStream();
    const started = performance.now();
    const { error } = await collect(call);
    assert.equal(error?.code, status.DEADLINE_EXCEEDED);
    assert.match(error!.details, /WORKER_FIRST_CHUNK_TIMEOUT_MS/);
    assert.ok(performance.now() - started < 5000);
    assert.equal(worker.core.streams.size, 0, "no stream is tracked any more");
  } finally {
    client.close();
    await worker.shutdown("test");
  }
});

Deno.test("worker limits: model ids with a path or .. are refused before any path join", async () => {
  const worker = await startTestWorker();
  const client = new TestClient(`127.0.0.1:${worker.port}`);
  try {
    for (const id of ["piper-../../etc", "mock-a/b", "../mock-440hz", "mock-..", "x".repeat(129)]) {
      for (const call of [() => client.loadModel(id), () => client.startSession("s", id)]) {
        const error = await call().then(() => null, (e: ServiceError) => e);
        assert.equal(error?.code, status.INVALID_ARGUMENT, id);
        assert.match(error!.details, /model_id is invalid/);
      }
    }
  } finally {
    client.close();
    await worker.shutdown("test");
  }
  assert.throws(() => voiceDir("voicepacks", "piper-../../etc"), /not a valid model id/);
  assert.match(voiceDir("voicepacks", "piper-en-us-joe-medium"), /voicepacks\/piper\/en-us-joe-medium$/);
});
