import assert from "node:assert/strict";
import type { AudioChunk, TextPiece } from "../../../workers/runtime/adapter.ts";
import { ModelNotFoundError } from "../../../workers/runtime/adapter.ts";
import {
  MOCK_AMPLITUDE,
  MOCK_CHUNK_MS,
  MOCK_MS_PER_CHAR,
  MockAdapter,
  mockFrequency,
  mockSampleCount,
} from "../../../workers/mock/mock_adapter.ts";

async function synthesize(modelId: string, texts: string[], speed?: number): Promise<AudioChunk[]> {
  const model = await new MockAdapter().load(modelId);
  let offset = 0;
  const input = (async function* (): AsyncGenerator<TextPiece> {
    for (const text of texts) {
      yield { text, start: offset, end: offset += text.length };
    }
  })();
  const chunks: AudioChunk[] = [];
  for await (const c of model.synthesize(input, speed ? { speed } : {}, new AbortController().signal)) chunks.push(c);
  return chunks;
}

function joined(chunks: AudioChunk[]): Int16Array {
  const out = new Int16Array(chunks.reduce((n, c) => n + c.pcm.length, 0));
  let at = 0;
  for (const c of chunks) (out.set(c.pcm, at), at += c.pcm.length);
  return out;
}

/** Frequency estimated from upward zero crossings. */
function frequencyOf(pcm: Int16Array): number {
  let crossings = 0;
  for (let i = 1; i < pcm.length; i++) if (pcm[i - 1] < 0 && pcm[i] >= 0) crossings++;
  return crossings / (pcm.length / 48_000);
}

Deno.test("mock model ids name a frequency from 20 Hz to 20 kHz", async () => {
  assert.equal(mockFrequency("mock-440hz"), 440);
  assert.equal(mockFrequency("mock-20hz"), 20);
  assert.equal(mockFrequency("mock-20000hz"), 20000);
  for (const bad of ["mock-19hz", "mock-20001hz", "mock-440", "mock-hz", "mock-4.5hz", "piper-440hz", "mock-0440hz "]) {
    assert.equal(mockFrequency(bad), null, bad);
  }
  await assert.rejects(new MockAdapter().load("mock-19hz"), (e: Error) => {
    assert.ok(e instanceof ModelNotFoundError);
    assert.match(e.message, /mock-<N>hz with N from 20 to 20000/);
    return true;
  });
});

Deno.test("the mock speaks a sine of its frequency for 60 ms per character, in 100 ms chunks", async () => {
  for (const hz of [220, 440, 1234]) {
    const chunks = await synthesize(`mock-${hz}hz`, ["Hello, world!"]);
    const pcm = joined(chunks);
    assert.equal(pcm.length, mockSampleCount("Hello, world!"));
    assert.equal(pcm.length, (13 * MOCK_MS_PER_CHAR * 48_000) / 1000);
    assert.ok(chunks.slice(0, -1).every((c) => c.pcm.length === (MOCK_CHUNK_MS * 48_000) / 1000));
    assert.ok(Math.abs(frequencyOf(pcm) - hz) <= hz * 0.02 + 2, `${hz} Hz: measured ${frequencyOf(pcm)}`);
    const peak = pcm.reduce((m, s) => Math.max(m, Math.abs(s)), 0);
    assert.ok(Math.abs(peak - MOCK_AMPLITUDE * 32767) < 200);
  }
});

Deno.test("the mock's tone runs on across text pieces without a click and honours speed", async () => {
  const whole = joined(await synthesize("mock-440hz", ["abcdefgh"]));
  const split = joined(await synthesize("mock-440hz", ["abc", "defgh"]));
  assert.deepEqual(split, whole, "the phase continues from piece to piece");
  const fast = joined(await synthesize("mock-440hz", ["abcdefgh"], 2));
  assert.equal(fast.length, whole.length / 2);
  const chunks = await synthesize("mock-440hz", ["abc", "defgh"]);
  assert.deepEqual(
    [...new Set(chunks.map((c) => `${c.textStart}-${c.textEnd}`))],
    ["0-3", "3-8"],
  );
});
