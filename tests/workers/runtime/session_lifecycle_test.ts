import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { FRAME_BYTES } from "../../../shared/audio/format.ts";
import { mockSampleCount } from "../../../workers/mock/mock_adapter.ts";
import { concatAudio, startTestWorker, TestClient } from "./worker_harness.ts";

Deno.test("a session starts on the default model, synthesizes framed audio, and ends", async () => {
  const worker = await startTestWorker();
  const client = new TestClient(`127.0.0.1:${worker.port}`);
  try {
    assert.equal(await client.health(), "SERVING");
    assert.equal(await client.health("tts.v1.TTSService"), "SERVING");
    const started = await client.startSession("s1");
    // The default model is resident from the start, so the session waited for no load.
    assert.deepEqual(started, {
      sessionId: "s1",
      modelId: "mock-440hz",
      sampleRate: 48000,
      frameMs: 20,
      loadMs: 0,
      leaseMs: 60_000,
    });

    const texts = ["Hello there. ", "How are you? ", "Fine."];
    const { frames, error } = await client.synthesize("s1", texts);
    assert.equal(error, null);
    assert.deepEqual(frames.map((f) => f.sequenceNumber), frames.map((_, i) => i + 1));
    assert.equal(frames.filter((f) => f.isFinal).length, 1);
    assert.ok(frames.at(-1)!.isFinal, "the final message is the last one");
    for (const f of frames.slice(0, -1)) assert.equal(f.audio.length, FRAME_BYTES);
    assert.ok([0, FRAME_BYTES].includes(frames.at(-1)!.audio.length));
    const expectedSamples = texts.reduce((n, t) => n + mockSampleCount(t), 0);
    assert.equal(frames.length - (frames.at(-1)!.audio.length ? 0 : 1), Math.ceil(expectedSamples / 960));
    assert.ok(frames.every((f) => f.sessionId === "s1" && f.sampleRate === 48000 && f.frameMs === 20));
    // Text spans point into the concatenated text and never go backwards.
    const total = texts.join("").length;
    assert.equal(frames[0].textStart, 0);
    assert.equal(frames.at(-1)!.textEnd, total);
    for (let i = 1; i < frames.length; i++) assert.ok(frames[i].textStart >= frames[i - 1].textStart);
    // Samples beyond the audio are zero padding.
    const audio = concatAudio(frames);
    const pcm = new Int16Array(audio.buffer, 0, audio.length / 2);
    assert.ok(pcm.subarray(expectedSamples).every((s) => s === 0));
    assert.ok(pcm.subarray(0, expectedSamples).some((s) => Math.abs(s) > 5000));

    // A second synthesis on the same session works and numbers from 1 again.
    const again = await client.synthesize("s1", ["Again."]);
    assert.equal(again.error, null);
    assert.equal(again.frames[0].sequenceNumber, 1);

    assert.deepEqual(await client.endSession("s1"), { ended: true });
    await assert.rejects(client.endSession("s1"), (e: { code: number }) => e.code === status.NOT_FOUND);
    const after = await client.synthesize("s1", ["gone"]);
    assert.equal(after.error?.code, status.NOT_FOUND);
  } finally {
    client.close();
    await worker.shutdown("test over");
  }
});

Deno.test("a session on another model loads it, a second one shares it, and ended sessions release it", async () => {
  const worker = await startTestWorker();
  const client = new TestClient(`127.0.0.1:${worker.port}`);
  try {
    const started = await client.startSession("s880", "mock-880hz", { speed: 2, language: "en-US" });
    assert.equal(started.modelId, "mock-880hz");
    assert.ok(started.loadMs >= 0 && Number.isFinite(started.loadMs));
    assert.equal((await client.capabilities()).residentModels.includes("mock-880hz"), true);
    const info = (await client.listModels()).models.find((m) => m.modelId === "mock-880hz")!;
    assert.equal(info.loaded, true);
    assert.equal(info.refcount, 1);
    const { frames } = await client.synthesize("s880", ["abcdefghij"]);
    // speed 2 halves the duration: 10 chars × 60 ms / 2 = 300 ms = 15 frames (+ an empty final message).
    assert.equal(frames.length, 16);
    // A second session on the now-resident model waits for no load and shares it.
    assert.equal((await client.startSession("s880b", "mock-880hz")).loadMs, 0);
    assert.equal((await client.listModels()).models.find((m) => m.modelId === "mock-880hz")!.refcount, 2);
    await client.endSession("s880b");
    await client.endSession("s880");
    const released = (await client.listModels()).models.find((m) => m.modelId === "mock-880hz")!;
    assert.equal(released.refcount, 0);
  } finally {
    client.close();
    await worker.shutdown("test over");
  }
});
