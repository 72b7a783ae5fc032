import assert from "node:assert/strict";
import { TextLedger } from "../../../orchestrator/routing/text_ledger.ts";

Deno.test("the ledger gives pushed text offsets and re-sends from a resume point with flush marks kept", () => {
  const ledger = new TextLedger();
  ledger.push("Hello there. ", true);
  ledger.push("How are ", false);
  ledger.push("you?", false);
  assert.equal(ledger.length, 25);
  assert.equal(ledger.flushedUpTo, 13);
  assert.deepEqual(ledger.piecesFrom(0).map((p) => [p.text, p.flush]), [
    ["Hello there. ", true],
    ["How are ", false],
    ["you?", false],
  ]);
  assert.deepEqual(ledger.piecesFrom(17).map((p) => [p.text, p.start, p.end]), [["are ", 17, 21], ["you?", 21, 25]]);
  assert.deepEqual(ledger.piecesFrom(25), []);
  assert.equal(ledger.slice(13, 21), "How are ");
  ledger.end();
  assert.equal(ledger.flushedUpTo, 25);
  assert.throws(() => ledger.push("more", false), /push after end\(\)/);
});

Deno.test("a span counts as received once audio of a later span arrives; the final frame completes all", () => {
  const ledger = new TextLedger();
  ledger.push("One. ", false);
  ledger.push("Two. ", false);
  ledger.push("Three.", false);
  ledger.received(0, 5);
  assert.equal(ledger.resumeOffset, 0, "the first span may still be incomplete");
  assert.equal(ledger.receivedUpTo, 5);
  ledger.received(5, 10);
  assert.equal(ledger.resumeOffset, 5);
  ledger.received(0, 5); // a late frame never moves the point back
  assert.equal(ledger.resumeOffset, 5);
  ledger.completed();
  assert.equal(ledger.resumeOffset, 16);
});
