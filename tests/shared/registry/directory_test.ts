import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { Redis } from "ioredis";
import { WorkerDirectory } from "../../../shared/registry/directory.ts";
import { WorkerRegistration } from "../../../shared/registry/registration.ts";
import { registryKeys, type WorkerRecord } from "../../../shared/registry/worker_record.ts";
import { RedisServer } from "../../../harness/redis_server.ts";
import { sampleRecord, waitFor } from "./sample_record.ts";

const keys = registryKeys();

function registration(url: string, name: string, heartbeatMs = 100): WorkerRegistration {
  return new WorkerRegistration({ redisUrl: url, heartbeatMs, snapshot: () => sampleRecord(name) });
}

function recordEvents(directory: WorkerDirectory): Array<{ type: string; name: string; at: number }> {
  const events: Array<{ type: string; name: string; at: number }> = [];
  for (const type of ["join", "leave", "update"] as const) {
    directory.on(type, (record: WorkerRecord) => events.push({ type, name: record.name, at: Date.now() }));
  }
  return events;
}

function commandClient(server: RedisServer): Redis {
  const redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
  redis.on("error", () => {});
  return redis;
}

Deno.test("the directory sees a join and a deregistration through announcements, not the periodic refresh", async () => {
  const server = await RedisServer.start();
  // A refresh period far beyond the test: only the pub/sub announcement can explain a prompt update.
  const directory = new WorkerDirectory({ redisUrl: server.url, refreshMs: 60_000 });
  const worker = registration(server.url, "alpha");
  try {
    assert.equal(await directory.start(), true);
    assert.deepEqual(directory.list(), []);
    const events = recordEvents(directory);
    const joinedAt = Date.now();
    await worker.start();
    await waitFor("the join event", () => events.some((e) => e.type === "join"), 3000);
    assert.deepEqual(directory.list().map((w) => w.name), ["alpha"]);
    assert.equal(directory.get("alpha")?.address, "127.0.0.1:7002");
    const leftAt = Date.now();
    await worker.stop();
    await waitFor("the leave event", () => events.some((e) => e.type === "leave"), 3000);
    assert.deepEqual(directory.list(), []);
    assert.deepEqual(events.map((e) => `${e.type}:${e.name}`), ["join:alpha", "leave:alpha"]);
    console.log(
      `join seen after ${events[0].at - joinedAt} ms, leave after ${events[1].at - leftAt} ms (refresh period 60 s)`,
    );
  } finally {
    await worker.stop();
    await directory.stop();
    await server.dispose();
  }
});

Deno.test("a worker killed with SIGKILL disappears from the directory once its TTL runs out", async () => {
  const server = await RedisServer.start();
  const directory = new WorkerDirectory({ redisUrl: server.url, refreshMs: 100 });
  const redis = commandClient(server);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./fixtures/registering_worker.ts", import.meta.url).pathname,
      server.url,
      "doomed",
      "100",
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    await directory.start();
    const events = recordEvents(directory);
    await waitFor("the child worker to register", () => directory.get("doomed"), 30_000);
    child.kill("SIGKILL");
    const killedAt = Date.now();
    await waitFor("the leave event after the TTL", () => events.some((e) => e.type === "leave"), 5000);
    const gone = events.find((e) => e.type === "leave")!.at - killedAt;
    assert.equal(directory.get("doomed"), undefined);
    assert.equal(await redis.exists(keys.worker("doomed")), 0);
    // The script that lists workers also drops index entries whose record expired.
    assert.deepEqual(await redis.smembers(keys.index), []);
    console.log(`killed worker gone from the directory after ${gone} ms (TTL 300 ms, refresh 100 ms)`);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already dead */ }
    await child.status;
    await child.stdout.cancel();
    redis.disconnect();
    await directory.stop();
    await server.dispose();
  }
});

Deno.test("a malformed record is skipped with one warning while valid workers are listed", async () => {
  const warnings: string[] = [];
  await configure({
    sinks: { capture: (record: LogRecord) => warnings.push(record.message.join("")) },
    loggers: [{ category: ["voice", "registry", "directory"], lowestLevel: "warning", sinks: ["capture"] }],
    reset: true,
  });
  const server = await RedisServer.start();
  const redis = commandClient(server);
  const directory = new WorkerDirectory({ redisUrl: server.url, refreshMs: 50 });
  const worker = registration(server.url, "good");
  try {
    await redis.sadd(keys.index, "junk", "halfway", "liar");
    await redis.set(keys.worker("junk"), "{not json", "PX", 60_000);
    await redis.set(keys.worker("halfway"), JSON.stringify({ name: "halfway", address: "h:1" }), "PX", 60_000);
    await redis.set(keys.worker("liar"), JSON.stringify(sampleRecord("someone-else")), "PX", 60_000);
    await worker.start();
    await directory.start();
    // Several refreshes over the bad records must neither crash nor list them.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(directory.list().map((w) => w.name), ["good"]);
    const skipped = warnings.filter((w) => w.startsWith("Skipping malformed"));
    assert.equal(skipped.length, 3, `one warning per bad record, got:\n${skipped.join("\n")}`);
    assert.ok(skipped.some((w) => w.includes('"junk"') && w.includes("not JSON")), skipped.join("\n"));
    assert.ok(skipped.some((w) => w.includes('"halfway"') && w.includes("adapter")), skipped.join("\n"));
    assert.ok(skipped.some((w) => w.includes('"liar"') && w.includes("someone-else")), skipped.join("\n"));
  } finally {
    await reset();
    redis.disconnect();
    await worker.stop();
    await directory.stop();
    await server.dispose();
  }
});

Deno.test("discovery never sends the KEYS command", async () => {
  const server = await RedisServer.start({ password: "pw" });
  const redis = commandClient(server);
  const directory = new WorkerDirectory({ redisUrl: server.url, refreshMs: 20 });
  const workers = ["a", "b", "c"].map((name) => registration(server.url, name));
  try {
    await Promise.all(workers.map((w) => w.start()));
    await directory.start();
    await waitFor("all three workers", () => directory.list().length === 3);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stats = await redis.info("commandstats");
    assert.ok(stats.includes("cmdstat_eval"), `expected the registry scripts in the stats:\n${stats}`);
    assert.ok(!/cmdstat_keys:/.test(stats), `KEYS was used:\n${stats}`);
  } finally {
    redis.disconnect();
    await Promise.all(workers.map((w) => w.stop()));
    await directory.stop();
    await server.dispose();
  }
});

Deno.test("with Redis down at start the directory starts empty and fills in when Redis comes up", async () => {
  const server = await RedisServer.start();
  await server.stop();
  const directory = new WorkerDirectory({ redisUrl: server.url, refreshMs: 100 });
  const worker = registration(server.url, "late");
  try {
    assert.equal(await directory.start(), false);
    assert.equal(directory.connected, false);
    assert.deepEqual(directory.list(), []);
    await worker.start();
    await server.restart();
    await waitFor("the worker in the directory", () => directory.get("late"), 10_000);
    assert.equal(directory.connected, true);
  } finally {
    await worker.stop();
    await directory.stop();
    await server.dispose();
  }
});

Deno.test("a Redis restart keeps the workers listed, reports no leave, and later changes are seen again", async () => {
  const server = await RedisServer.start();
  const directory = new WorkerDirectory({ redisUrl: server.url, refreshMs: 100, outageGraceMs: 3000 });
  const stays = registration(server.url, "stays", 200);
  const joinsLater = registration(server.url, "newcomer");
  try {
    await stays.start();
    await directory.start();
    const events = recordEvents(directory);
    await server.stop();
    await waitFor("the directory to notice the outage", () => !directory.connected);
    // The workers cannot heartbeat during the outage either: the last known list stays usable.
    assert.deepEqual(directory.list().map((w) => w.name), ["stays"]);
    await server.restart();
    await waitFor("the directory to reconnect", () => directory.connected, 10_000);
    await waitFor("the worker to re-register", () => stays.registered, 10_000);
    await joinsLater.start();
    await waitFor("the newcomer after the restart", () => directory.get("newcomer"), 5000);
    assert.deepEqual(directory.list().map((w) => w.name), ["newcomer", "stays"]);
    assert.equal(events.filter((e) => e.type === "leave").length, 0, JSON.stringify(events));
    await joinsLater.stop();
    await waitFor("the newcomer's leave", () => !directory.get("newcomer"), 5000);
  } finally {
    await stays.stop();
    await joinsLater.stop();
    await directory.stop();
    await server.dispose();
  }
});

Deno.test("load changes announced with refreshNow reach the directory as an update event", async () => {
  const server = await RedisServer.start();
  const directory = new WorkerDirectory({ redisUrl: server.url, refreshMs: 60_000 });
  let active = 0;
  const worker = new WorkerRegistration({
    redisUrl: server.url,
    heartbeatMs: 10_000,
    snapshot: () => sampleRecord("busy", { load: { activeSessions: active, maxSessions: 4, queueDepth: 0, rtf: 0 } }),
  });
  try {
    await worker.start();
    await directory.start();
    const events = recordEvents(directory);
    active = 2;
    assert.equal(await worker.refreshNow(), true);
    await waitFor("the update event", () => events.some((e) => e.type === "update"), 3000);
    assert.equal(directory.get("busy")?.load.activeSessions, 2);
  } finally {
    await worker.stop();
    await directory.stop();
    await server.dispose();
  }
});
