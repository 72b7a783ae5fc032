import assert from "node:assert/strict";
import { parseWorkerRecord, redactRedisUrl, registryKeys } from "../../../shared/registry/worker_record.ts";
import { sampleRecord } from "./sample_record.ts";

Deno.test("a complete record parses, and unknown extra fields from newer workers are ignored", () => {
  const parsed = parseWorkerRecord(JSON.stringify({ ...sampleRecord("w"), draining: false }));
  assert.ok(parsed.ok);
  assert.equal(parsed.record.name, "w");
  assert.equal("draining" in parsed.record, false);
});

Deno.test("bad records are rejected with a reason naming the field", () => {
  const cases: Array<[string, RegExp]> = [
    ["", /not JSON/],
    ["[1,2]", /expected object/],
    [JSON.stringify({ ...sampleRecord("w"), address: "nohostport" }), /address: must be host:port/],
    [
      JSON.stringify({ ...sampleRecord("w"), load: { activeSessions: -1, maxSessions: 1, queueDepth: 0, rtf: 0 } }),
      /load\.activeSessions/,
    ],
    [JSON.stringify({ ...sampleRecord("w"), name: "" }), /name/],
    [JSON.stringify({ ...sampleRecord("w"), residentModels: "mock-440hz" }), /residentModels/],
  ];
  for (const [raw, reason] of cases) {
    const parsed = parseWorkerRecord(raw);
    assert.equal(parsed.ok, false, raw);
    if (!parsed.ok) assert.match(parsed.error, reason);
  }
});

Deno.test("the key layout keeps every key under the prefix", () => {
  const keys = registryKeys("x:");
  assert.deepEqual([keys.index, keys.channel, keys.worker("a")], ["x:workers", "x:workers:events", "x:worker:a"]);
});

Deno.test("Redis URLs lose their password in logs", () => {
  assert.equal(redactRedisUrl("redis://:pw@h:6379/0"), "redis://***@h:6379/0");
  assert.equal(redactRedisUrl("redis://user:pw@h:6379"), "redis://***@h:6379");
  assert.equal(redactRedisUrl("redis://h:6379"), "redis://h:6379");
});
