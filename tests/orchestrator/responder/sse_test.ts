import assert from "node:assert/strict";
import { parseSse, type SseEvent } from "../../../orchestrator/responder/sse.ts";

async function parse(pieces: Uint8Array[]): Promise<SseEvent[]> {
  async function* body() {
    for (const p of pieces) yield p;
  }
  const out: SseEvent[] = [];
  for await (const e of parseSse(body())) out.push(e);
  return out;
}

const stream =
  ': comment\n\ndata: {"a":1}\n\nevent: ping\ndata: x\ndata: y\n\r\ndata: héllo wörld ☃\r\rdata:no-space\n\ndata: unterminated';
const expected: SseEvent[] = [
  { event: "message", data: '{"a":1}' },
  { event: "ping", data: "x\ny" },
  { event: "message", data: "héllo wörld ☃" },
  { event: "message", data: "no-space" },
];

Deno.test("sse: parses data, event names, comments and all three line endings; drops an unterminated tail", async () => {
  assert.deepEqual(await parse([new TextEncoder().encode(stream)]), expected);
});

Deno.test("sse: gives the same events however the bytes are split (every split point, and byte by byte)", async () => {
  const bytes = new TextEncoder().encode(stream);
  for (let cut = 1; cut < bytes.length; cut++) {
    assert.deepEqual(await parse([bytes.slice(0, cut), bytes.slice(cut)]), expected, `split at ${cut}`);
  }
  assert.deepEqual(await parse(Array.from(bytes, (b) => new Uint8Array([b]))), expected);
});

Deno.test("sse: a line that never ends is rejected with a clear error", async () => {
  const huge = new Uint8Array(1 << 21).fill(0x61);
  await assert.rejects(() => parse([huge]), /event-stream line longer than/);
});
