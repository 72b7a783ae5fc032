import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { WorkerRegistration } from "../../../shared/registry/registration.ts";
import { registryKeys } from "../../../shared/registry/worker_record.ts";
import { RedisServer } from "../../../harness/redis_server.ts";
import { sampleRecord, waitFor } from "./sample_record.ts";

const keys = registryKeys();

async function withRedis(
  options: { password?: string },
  body: (server: RedisServer, redis: Redis) => Promise<void>,
): Promise<void> {
  const server = await RedisServer.start(options);
  const redis = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on("error", () => {});
  try {
    await redis.connect();
    await body(server, redis);
  } finally {
    redis.disconnect();
    await server.dispose();
  }
}

Deno.test("registration writes the record with a TTL at start and refreshes it on every heartbeat", async () => {
  await withRedis({}, async (server, redis) => {
    let active = 0;
    const registration = new WorkerRegistration({
      redisUrl: server.url,
      heartbeatMs: 100,
      ttlMs: 1500,
      snapshot: () => sampleRecord("w1", { load: { activeSessions: active, maxSessions: 4, queueDepth: 0, rtf: 0 } }),
    });
    try {
      assert.equal(await registration.start(), true);
      const first = JSON.parse((await redis.get(keys.worker("w1")))!);
      assert.equal(first.name, "w1");
      assert.equal(first.load.activeSessions, 0);
      const pttl = await redis.pttl(keys.worker("w1"));
      assert.ok(pttl > 0 && pttl <= 1500, `PTTL ${pttl} should be within the 1500 ms TTL`);
      assert.deepEqual(await redis.smembers(keys.index), ["w1"]);

      active = 3;
      const refreshed = await waitFor("a heartbeat carrying the new load", async () => {
        const value = JSON.parse((await redis.get(keys.worker("w1")))!);
        return value.load.activeSessions === 3 ? value : null;
      });
      assert.ok(refreshed.heartbeatAt > first.heartbeatAt);
      // Well past the TTL, the heartbeats must have kept the record alive.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      assert.ok(await redis.exists(keys.worker("w1")), "record expired although the worker kept heartbeating");
    } finally {
      await registration.stop();
    }
  });
});

Deno.test("stop deletes the record, drops it from the index and announces the leave", async () => {
  await withRedis({}, async (server, redis) => {
    const subscriber = redis.duplicate();
    const messages: string[] = [];
    subscriber.on("message", (_channel: string, message: string) => messages.push(message));
    await subscriber.subscribe(keys.channel);
    const registration = new WorkerRegistration({
      redisUrl: server.url,
      heartbeatMs: 100,
      snapshot: () => sampleRecord("w2"),
    });
    try {
      await registration.start();
      await registration.stop();
      assert.equal(await redis.exists(keys.worker("w2")), 0);
      assert.deepEqual(await redis.smembers(keys.index), []);
      await waitFor("join and leave announcements", () => messages.length >= 2);
      assert.deepEqual(messages.map((m) => JSON.parse(m)), [{ type: "join", name: "w2" }, {
        type: "leave",
        name: "w2",
      }]);
      assert.equal(registration.registered, false);
    } finally {
      await registration.stop();
      subscriber.disconnect();
    }
  });
});

Deno.test("registration works against a Redis with a password in REDIS_URL", async () => {
  await withRedis({ password: "s3cret:with@odd/chars" }, async (server, redis) => {
    const registration = new WorkerRegistration({
      redisUrl: server.url,
      heartbeatMs: 100,
      snapshot: () => sampleRecord("secured"),
    });
    try {
      assert.equal(await registration.start(), true);
      assert.equal(JSON.parse((await redis.get(keys.worker("secured")))!).name, "secured");
    } finally {
      await registration.stop();
    }
    assert.equal(await redis.exists(keys.worker("secured")), 0);
  });
});

Deno.test("with Redis down at start the worker keeps running and registers once Redis comes up", async () => {
  const server = await RedisServer.start();
  await server.stop();
  const registration = new WorkerRegistration({
    redisUrl: server.url,
    heartbeatMs: 100,
    snapshot: () => sampleRecord("late"),
  });
  const redis = new Redis(server.url, { lazyConnect: true });
  redis.on("error", () => {});
  try {
    assert.equal(await registration.start(), false);
    assert.equal(registration.registered, false);
    await server.restart();
    await redis.connect();
    await waitFor("the record after Redis came up", () => redis.exists(keys.worker("late")));
    assert.equal(registration.registered, true);
  } finally {
    await registration.stop();
    redis.disconnect();
    await server.dispose();
  }
});

Deno.test("after a Redis restart (data lost) the worker re-registers without crashing", async () => {
  await withRedis({}, async (server, redis) => {
    const registration = new WorkerRegistration({
      redisUrl: server.url,
      heartbeatMs: 100,
      snapshot: () => sampleRecord("phoenix"),
    });
    try {
      await registration.start();
      await server.stop();
      await waitFor("the registration to notice the outage", () => !registration.registered);
      await server.restart();
      await waitFor("the record after the restart", async () => {
        try {
          return await redis.exists(keys.worker("phoenix"));
        } catch {
          return 0; // the test's own client is still reconnecting
        }
      });
      assert.deepEqual(await redis.smembers(keys.index), ["phoenix"]);
      assert.equal(registration.registered, true);
    } finally {
      await registration.stop();
    }
  });
});

Deno.test("a snapshot that is not a valid record is not written and does not throw", async () => {
  await withRedis({}, async (server, redis) => {
    const registration = new WorkerRegistration({
      redisUrl: server.url,
      heartbeatMs: 100,
      snapshot: () => ({ ...sampleRecord("bad"), address: "no port here" }),
    });
    try {
      assert.equal(await registration.start(), false);
      assert.equal(await redis.exists(keys.worker("bad")), 0);
    } finally {
      await registration.stop();
    }
  });
});

Deno.test("registration options are checked: TTL must exceed the heartbeat, and defaults to three beats", () => {
  const snapshot = () => sampleRecord("x");
  assert.equal(new WorkerRegistration({ redisUrl: "redis://127.0.0.1:1", snapshot }).ttlMs, 6000);
  assert.equal(new WorkerRegistration({ redisUrl: "redis://127.0.0.1:1", heartbeatMs: 100, snapshot }).ttlMs, 300);
  assert.throws(
    () => new WorkerRegistration({ redisUrl: "redis://127.0.0.1:1", heartbeatMs: 100, ttlMs: 100, snapshot }),
    /ttlMs must be greater than heartbeatMs/,
  );
  assert.throws(
    () => new WorkerRegistration({ redisUrl: "redis://127.0.0.1:1", heartbeatMs: 0, snapshot }),
    /heartbeatMs must be a number >= 10/,
  );
});
