import assert from "node:assert/strict";
import { getLogger, setupLogging, teardownLogging } from "../../../shared/log/mod.ts";
import {
  CONTEXT_METADATA,
  contextFromMetadata,
  contextMetadataPairs,
  logContext,
  withLogContext,
} from "../../../shared/log/context.ts";

Deno.test("withLogContext fields reach every line of the call tree, across awaits and timers, nested values winning", async () => {
  const lines: string[] = [];
  setupLogging({ service: "orchestrator", level: "info", format: "json", write: (l) => lines.push(l) });
  try {
    await withLogContext({ session_id: "s-1" }, async () => {
      await new Promise((r) => setTimeout(r, 1));
      await withLogContext({ request_id: "s-1-r1" }, async () => {
        await Promise.resolve();
        setTimeout(() => getLogger("t").info("from a timer"), 0);
        await new Promise((r) => setTimeout(r, 5));
        getLogger("t").info("inside");
      });
      getLogger("t").info("after");
    });
    getLogger("t").info("outside");
  } finally {
    teardownLogging();
  }
  const records = lines.map((l) => JSON.parse(l));
  assert.deepEqual(records.map((r) => [r.message, r.session_id, r.request_id]), [
    ["from a timer", "s-1", "s-1-r1"],
    ["inside", "s-1", "s-1-r1"],
    ["after", "s-1", undefined],
    ["outside", undefined, undefined],
  ]);
});

Deno.test("the ids travel as gRPC metadata pairs and come back as log fields; malformed values are dropped", () => {
  withLogContext({ session_id: "abc", request_id: "abc-r2", other: 1 }, () => {
    assert.deepEqual(contextMetadataPairs(), [[CONTEXT_METADATA.sessionId, "abc"], [
      CONTEXT_METADATA.requestId,
      "abc-r2",
    ]]);
    assert.equal(logContext().other, 1);
  });
  assert.deepEqual(contextMetadataPairs(), []);
  const metadata = new Map<string, unknown>([["x-session-id", "abc"], ["x-request-id", "abc-r2"]]);
  assert.deepEqual(contextFromMetadata((k) => metadata.get(k)), { session_id: "abc", request_id: "abc-r2" });
  const hostile = new Map<string, unknown>([["x-session-id", "a\nb"], ["x-request-id", "x".repeat(500)]]);
  assert.deepEqual(contextFromMetadata((k) => hostile.get(k)), {});
  assert.deepEqual(contextFromMetadata(() => undefined), {});
});
