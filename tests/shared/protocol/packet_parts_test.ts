import assert from "node:assert/strict";
import { PartAssembler, splitIntoParts } from "../../../shared/protocol/packet_parts.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("packet parts: a large payload splits into packets under the limit and comes back byte for byte", () => {
  const payload = bytes(JSON.stringify({ type: "response.done", text: "Grüße, 世界! ".repeat(5_000) }));
  const parts = splitIntoParts(7, payload, 14 * 1024);
  assert.ok(parts.length >= 5, `${parts.length} parts`);
  assert.ok(parts.every((p) => p.byteLength <= 14 * 1024));
  const assembler = new PartAssembler();
  const results = parts.map((p) => assembler.accept(p));
  assert.ok(results.slice(0, -1).every((r) => r === null), "nothing comes out before the last part");
  assert.deepEqual(results.at(-1), payload, "multi-byte characters cut between parts survive");
  assert.deepEqual(
    assembler.accept(splitIntoParts(8, bytes("x"), 100)[0]),
    bytes("x"),
    "the next message starts clean",
  );
});

Deno.test("packet parts: malformed, out-of-order or oversized parts are refused with the problem named", () => {
  const assembler = new PartAssembler(1_000);
  assert.throws(() => assembler.accept(bytes("no header")), /no valid header/);
  assert.throws(() => assembler.accept(bytes("1 3 2\nx")), /part 3 of 2 is out of range/);
  const parts = splitIntoParts(1, new Uint8Array(300), 100);
  assembler.accept(parts[0]);
  assert.throws(() => assembler.accept(parts[2]), /out of order/);
  assert.throws(() => assembler.accept(parts[1]), /out of order/, "the broken message was dropped");
  const big = splitIntoParts(2, new Uint8Array(2_000), 500);
  assert.throws(() => big.forEach((p) => assembler.accept(p)), /exceeds 1000 bytes/);
  assert.throws(() => splitIntoParts(-1, bytes("x"), 100), /non-negative integer/);
});
