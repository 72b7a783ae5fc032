import assert from "node:assert/strict";
import { FRAME_BYTES } from "../../../shared/audio/format.ts";
import { MockAdapter } from "../../../workers/mock/mock_adapter.ts";
import { slowAdapter } from "./slow_adapter.ts";
import { chunk, collect, startTestWorker, TestClient } from "./worker_harness.ts";

Deno.test("frames leave the worker while the adapter is still producing audio", async () => {
  const adapter = slowAdapter(new MockAdapter(), { chunkDelayMs: 40 });
  const worker = await startTestWorker({ adapter });
  const client = new TestClient(`127.0.0.1:${worker.port}`);
  try {
    await client.startSession("slow");
    adapter.log.producedAt.length = 0; // forget the warmup
    let firstFrameAt = 0;
    const call = client.openStream();
    const result = collect(call, () => firstFrameAt ||= performance.now());
    // 3 chunks × 10 characters = 1.8 s of audio in 18 chunks of 100 ms, each taking 40 ms to "compute".
    for (const [i, text] of ["abcdefghi ", "jklmnopqr ", "stuvwxyz. "].entries()) {
      call.write(chunk(i === 0 ? "slow" : "", text));
    }
    call.end();
    const { frames, error } = await result;
    assert.equal(error, null);
    assert.equal(adapter.log.producedAt.length, 18);
    const lastProducedAt = adapter.log.producedAt.at(-1)!;
    assert.ok(
      firstFrameAt < lastProducedAt,
      `first frame at ${firstFrameAt.toFixed(1)} ms must arrive before the last chunk was produced at ` +
        `${lastProducedAt.toFixed(1)} ms`,
    );
    assert.equal(frames.length, 90 + 1);
    assert.ok(frames.slice(0, -1).every((f) => f.audio.length === FRAME_BYTES));
  } finally {
    client.close();
    await worker.shutdown("test over");
  }
});

Deno.test("audio for the first text chunk arrives before the client sends the next one", async () => {
  const worker = await startTestWorker();
  const client = new TestClient(`127.0.0.1:${worker.port}`);
  try {
    await client.startSession("interactive");
    const call = client.openStream();
    let firstFrame: () => void = () => {};
    const gotFirst = new Promise<void>((resolve) => firstFrame = resolve);
    const result = collect(call, () => firstFrame());
    call.write(chunk("interactive", "Hello there."));
    await gotFirst; // would hang if the worker waited for the end of input
    call.write(chunk("", " More text.", { endOfInput: true }));
    const { frames, error } = await result;
    assert.equal(error, null);
    assert.equal(frames.filter((f) => f.isFinal).length, 1);
    assert.equal(frames.at(-1)!.textEnd, "Hello there. More text.".length);
  } finally {
    client.close();
    await worker.shutdown("test over");
  }
});
