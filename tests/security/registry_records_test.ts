/**
 * The Redis registry against a process that can write to Redis: with `WORKER_RPC_SECRET`, records must carry a
 * valid signature (an unsigned or re-signed fake worker is ignored with one warning), and a flood of entries or huge
 * values costs the orchestrator bounded work.
 */
import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { Redis } from "ioredis";
import { WorkerDirectory } from "../../shared/registry/directory.ts";
import { WorkerRegistration } from "../../shared/registry/registration.ts";
import { registryKey, signedRecordJson } from "../../shared/registry/record_signature.ts";
import { MAX_REGISTRY_ENTRIES, registryKeys } from "../../shared/registry/worker_record.ts";
import { RedisServer } from "../../harness/redis_server.ts";
import { sampleRecord, waitFor } from "../shared/registry/sample_record.ts";

const keys = registryKeys();
const SECRET = "registry-secret-for-tests-0123456789abcdef";

async function captureWarnings(): Promise<string[]> {
  const warnings: string[] = [];
  await configure({
    sinks: { capture: (record: LogRecord) => warnings.push(record.message.join("")) },
    loggers: [{ category: ["voice", "registry", "directory"], lowestLevel: "warning", sinks: ["capture"] }],
    reset: true,
  });
  return warnings;
}

Deno.test("registry: with a secret, unsigned and wrongly signed records are ignored with one warning each", async () => {
  const warnings = await captureWarnings();
  const server = await RedisServer.start();
  const redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
  const directory = new WorkerDirectory({ redisUrl: server.url, refreshMs: 50, signingSecret: SECRET });
  const good = new WorkerRegistration({
    redisUrl: server.url,
    heartbeatMs: 50,
    snapshot: () => sampleRecord("good"),
    signingSecret: SECRET,
  });
  try {
    // The attack of the review: a fake worker that would receive every sentence the agent speaks.
    const evil = sampleRecord("evil", {
      address: "10.0.0.66:7002",
      load: { activeSessions: 0, maxSessions: 1000, queueDepth: 0, rtf: 0 },
    });
    const forged = sampleRecord("forged");
    await redis.sadd(keys.index, "evil", "forged");
    await redis.set(keys.worker("evil"), JSON.stringify(evil), "PX", 60_000);
    await redis.set(
      keys.worker("forged"),
      signedRecordJson(forged, registryKey("some-other-secret-0123456789abcdef")),
      "PX",
      60_000,
    );
    await good.start();
    await directory.start();
    await new Promise((resolve) => setTimeout(resolve, 400)); // several refreshes and heartbeats
    assert.deepEqual(directory.list().map((w) => w.name), ["good"]);
    const ignored = warnings.filter((w) => w.startsWith("Ignoring registry record"));
    assert.equal(ignored.length, 2, ignored.join("\n"));
    assert.ok(ignored.some((w) => w.includes('"evil"')) && ignored.some((w) => w.includes('"forged"')));
    // A tampered copy of the good record (same signature, other address) is refused too.
    const stored = JSON.parse((await redis.get(keys.worker("good")))!);
    await redis.sadd(keys.index, "tampered");
    await redis.set(keys.worker("tampered"), JSON.stringify({ ...stored, name: "tampered" }), "PX", 60_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(directory.list().map((w) => w.name), ["good"]);
  } finally {
    await reset();
    redis.disconnect();
    await good.stop();
    await directory.stop();
    await server.dispose();
  }
});

Deno.test("registry: a flood of index entries and oversized values is read in bounded amounts", async () => {
  const warnings = await captureWarnings();
  const server = await RedisServer.start();
  const redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
  const directory = new WorkerDirectory({ redisUrl: server.url, refreshMs: 100 });
  try {
    const pipeline = redis.pipeline();
    const flood = MAX_REGISTRY_ENTRIES + 500;
    for (let i = 0; i < flood; i++) {
      pipeline.sadd(keys.index, `fake-${i}`);
      pipeline.set(keys.worker(`fake-${i}`), i % 2 ? "x".repeat(64 * 1024) : "{}", "PX", 60_000);
    }
    await pipeline.exec();
    await directory.start();
    await waitFor("a refresh", () => warnings.some((w) => /only 1024 are read/.test(w)), 5000);
    assert.deepEqual(directory.list(), []);
    const tooBig = warnings.filter((w) => /larger than 16384 bytes/.test(w)).length;
    assert.ok(tooBig > 0 && tooBig <= MAX_REGISTRY_ENTRIES, `${tooBig} oversize warnings`);
    assert.ok(warnings.length <= MAX_REGISTRY_ENTRIES + 1, `${warnings.length} warnings for ${flood} fakes`);
  } finally {
    await reset();
    redis.disconnect();
    await directory.stop();
    await server.dispose();
  }
});

Deno.test("registry rotation: records signed with WORKER_RPC_SECRET_ACCEPT are used too", async () => {
  const server = await RedisServer.start();
  const next = "registry-secret-next-0123456789abcdef0123";
  const directory = new WorkerDirectory({
    redisUrl: server.url,
    refreshMs: 50,
    signingSecret: next,
    acceptedSigningSecret: SECRET,
  });
  const workers = [SECRET, next].map((signingSecret, i) =>
    new WorkerRegistration({
      redisUrl: server.url,
      heartbeatMs: 50,
      snapshot: () => sampleRecord(`w${i}`),
      signingSecret,
    })
  );
  try {
    for (const worker of workers) await worker.start();
    await directory.start();
    await waitFor("both workers", () => directory.list().length === 2, 3000);
  } finally {
    for (const worker of workers) await worker.stop();
    await directory.stop();
    await server.dispose();
  }
});
