import assert from "node:assert/strict";
import type { SpeechStream, TtsFrame } from "../../../orchestrator/routing/contract.ts";
import { WorkerRouter } from "../../../orchestrator/routing/worker_router.ts";
import type { RunningWorker } from "../../../workers/runtime/worker.ts";
import { readAll, speak, waitFor } from "./harness.ts";
import { startMockWorker } from "./mock_workers.ts";

async function withRouter(body: (router: WorkerRouter, worker: RunningWorker) => Promise<void>): Promise<void> {
  const worker = await startMockWorker("solo");
  const router = new WorkerRouter({ staticAddress: worker.address });
  try {
    await body(router, worker);
  } finally {
    await router.close();
    await worker.shutdown("test over");
  }
}

function pcmOf(frames: TtsFrame[]): Uint8Array {
  const out = new Uint8Array(frames.reduce((n, f) => n + f.pcm.length, 0));
  let at = 0;
  for (const frame of frames) {
    out.set(frame.pcm, at);
    at += frame.pcm.length;
  }
  return out;
}

/** Reads a stream with a time limit per frame; a read that timed out is kept for the next call (nothing lost). */
class PatientReader {
  #pending: Promise<IteratorResult<TtsFrame>> | undefined;
  constructor(readonly iterator: AsyncIterator<TtsFrame>) {}

  /** The next result, or null if none comes within `ms`. */
  async next(ms: number): Promise<IteratorResult<TtsFrame> | null> {
    const read = this.#pending ??= this.iterator.next();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), ms));
    const result = await Promise.race([read, timeout]).finally(() => clearTimeout(timer));
    if (result) this.#pending = undefined;
    return result;
  }
}

const LONG_TEXT = Array.from({ length: 30 }, (_, i) => `Sentence number ${i} says something fifty chars. `);

Deno.test("frames arrive numbered from 1 with their text spans and one final frame", async () => {
  await withRouter(async (router) => {
    const stream = await router.openStream({ sessionId: "s" });
    speak(stream, ["Hello there. ", "How are you?"]);
    const { frames } = await readAll(stream);
    // The mock speaks 60 ms per character: 25 characters are 75 frames, then an empty final frame.
    assert.equal(frames.length, 76);
    assert.deepEqual(frames.map((f) => f.seq), Array.from({ length: 76 }, (_, i) => i + 1));
    assert.ok(frames.slice(0, 75).every((f) => f.pcm.length === 1920 && !f.isFinal));
    assert.equal(frames[75].isFinal, true);
    assert.deepEqual([frames[0].textStart, frames[0].textEnd], [0, 13]);
    assert.deepEqual([frames[74].textStart, frames[74].textEnd], [13, 25]);
    assert.equal(stream.worker, `static:${router.workers()[0].address}`);
  });
});

Deno.test("pause stops the audio, resume continues it with nothing lost or repeated", async () => {
  await withRouter(async (router) => {
    const reference = await router.openStream({ sessionId: "ref" });
    speak(reference, LONG_TEXT);
    const expected = await readAll(reference);

    const stream = await router.openStream({ sessionId: "s" });
    speak(stream, LONG_TEXT);
    const reader = new PatientReader(stream[Symbol.asyncIterator]());
    const frames: TtsFrame[] = [];
    while (frames.length < 50) frames.push((await reader.next(10_000))!.value);
    await stream.pause();
    // Frames already on their way still come; then nothing while paused.
    while (true) {
      const next = await reader.next(400);
      if (!next) break;
      frames.push(next.value);
    }
    const atPause = frames.length;
    assert.ok(atPause < expected.frames.length - 100, `pause came too late to observe (${atPause} frames)`);
    assert.equal(await reader.next(600), null, "a frame arrived while paused");
    await stream.resume();
    while (true) {
      const next = await reader.next(10_000);
      assert.ok(next, "no frame within 10 s after resume");
      if (next.done) break;
      frames.push(next.value);
    }
    assert.equal(frames.length, expected.frames.length);
    assert.deepEqual(frames.map((f) => f.seq), expected.frames.map((f) => f.seq));
    assert.deepEqual(pcmOf(frames), pcmOf(expected.frames), "the paused stream's audio differs from an unpaused one");
  });
});

Deno.test("stop ends the stream at once and the session can speak again on the same worker session", async () => {
  await withRouter(async (router, worker) => {
    const stream = await router.openStream({ sessionId: "s" });
    speak(stream, LONG_TEXT);
    let count = 0;
    for await (const _ of stream) {
      if (++count === 20) await stream.stop();
    }
    assert.equal(count, 20, "frames were delivered after stop");
    stream.push("ignored after stop");
    await waitFor("the worker session to go idle", () => worker.core.sessions.all().every((s) => s.state === "idle"));
    const next = await router.openStream({ sessionId: "s" });
    speak(next, ["Again."]);
    const { frames } = await readAll(next);
    assert.equal(frames.length, 6 * 3 + 1);
    assert.equal(router.sessions.size, 1, "the second answer reused the worker session");
    assert.equal(worker.core.sessions.size, 1);
  });
});

Deno.test("a consumer that stops iterating early stops the stream on the worker", async () => {
  await withRouter(async (router, worker) => {
    const stream = await router.openStream({ sessionId: "s" });
    speak(stream, LONG_TEXT);
    for await (const frame of stream) if (frame.seq === 5) break;
    await waitFor("the worker stream to end", () => worker.core.streams.size === 0);
  });
});

Deno.test("bad use of a stream gets clear errors and a request the worker rejects ends only that stream", async () => {
  await withRouter(async (router) => {
    const stream: SpeechStream = await router.openStream({ sessionId: "s" });
    assert.throws(() => stream.push(42 as unknown as string), /SpeechStream.push needs a string, got number/);
    stream.push("x".repeat(25_000)); // over the worker's 20 000-character limit
    stream.end();
    assert.throws(() => stream.push("late"), /push after end\(\)/);
    await assert.rejects(
      () => readAll(stream),
      /worker .* rejected the speech stream: INVALID_ARGUMENT: .*limit is 20000/,
    );
    const next = await router.openStream({ sessionId: "s" });
    speak(next, ["Fine."]);
    assert.equal((await readAll(next)).frames.at(-1)?.isFinal, true);
  });
});
