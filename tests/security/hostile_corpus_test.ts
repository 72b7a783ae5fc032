/**
 * ≥ 300 malformed or abusive inputs against a live stack (orchestrator, mock worker, Redis) in batches: HTTP, gRPC,
 * Redis registry records, WebSocket bytes and timing, and configuration. Every input gets a correct refusal (never an
 * internal error), and after every batch the services are healthy and a well-formed session still works.
 * (The WebSocket transport's own corpus, tests/orchestrator/transports, adds its ≥ 100 protocol cases.)
 */
import assert from "node:assert/strict";
import { type ServiceError, status } from "@grpc/grpc-js";
import { Redis } from "ioredis";
import { VoiceWsClient } from "../../shared/protocol/ws_client.ts";
import { ControlCommand } from "../../proto/gen/tts.ts";
import {
  loadConfig,
  orchestratorConfigChecks,
  orchestratorConfigSchema,
  workerConfigSchema,
} from "../../shared/config/mod.ts";
import { checkWorkerExposure } from "../../shared/config/exposure.ts";
import { registryKeys } from "../../shared/registry/worker_record.ts";
import { seededRandom } from "../../harness/random.ts";
import { sampleRecord } from "../shared/registry/sample_record.ts";
import { chunk, collect, TestClient } from "../workers/runtime/worker_harness.ts";
import { configCases, httpCases, registryCases, workerConfigCases, wsMessages } from "./hostile_corpus.ts";
import { LIGHT_KEY, type LightStack, startLightStack } from "./light_stack.ts";

const SECRET = "hostile-corpus-rpc-secret-0123456789abcdef";

async function afterBatch(stack: LightStack, batch: string, count: number, counter: { total: number }) {
  counter.total += count;
  assert.equal(await stack.healthy(), true, `${batch}: /health after the batch`);
  await stack.goodSession();
}

async function grpcCode(call: () => Promise<unknown>): Promise<number | "ok"> {
  try {
    await call();
    return "ok";
  } catch (error) {
    return (error as ServiceError).code ?? -1;
  }
}

Deno.test("hostile corpus: ≥ 300 inputs across HTTP, gRPC, Redis, WebSocket and config; healthy after each batch", async (t) => {
  const stack = await startLightStack({ rpcSecret: SECRET });
  const counter = { total: 0 };
  const random = seededRandom(1313);
  try {
    await t.step("HTTP", async () => {
      const base = stack.orchestrator.wsUrl.replace(/^ws/, "http");
      const cases = httpCases(LIGHT_KEY);
      for (let i = 0; i < 30; i++) {
        const bytes = Uint8Array.from({ length: 1 + Math.floor(random() * 300) }, () => Math.floor(random() * 256));
        cases.push({
          name: `random body ${i}`,
          method: "POST",
          path: "/api/connection-details",
          headers: { "x-api-key": LIGHT_KEY, "content-type": "application/json" },
          body: bytes,
          ok: [400],
        });
      }
      const wrong: string[] = [];
      for (const [i, c] of cases.entries()) {
        const headers = { "x-forwarded-for": `198.51.100.${i % 250}`, ...c.headers };
        const body = c.body as BodyInit | undefined;
        const response = await fetch(`${base}${c.path ?? "/"}`, { method: c.method ?? "GET", headers, body });
        await response.body?.cancel();
        if (!c.ok.includes(response.status)) wrong.push(`${c.name}: ${response.status} (expected ${c.ok})`);
      }
      assert.deepEqual(wrong, []);
      await afterBatch(stack, "HTTP", cases.length, counter);
    });

    await t.step("gRPC", async () => {
      const address = stack.workerAddress;
      const anonymous = new TestClient(address);
      const client = new TestClient(address, { rpcSecret: SECRET });
      const results: Array<[string, number | "ok", number[]]> = [];
      const check = async (name: string, call: () => Promise<unknown>, ok: number[]) =>
        results.push([name, await grpcCode(call), ok]);
      const U = [status.UNAUTHENTICATED];
      const I = [status.INVALID_ARGUMENT];
      try {
        await check("anon start", () => anonymous.startSession("a"), U);
        await check("anon unload force", () => anonymous.unloadModel("mock-440hz", true), U);
        await check("anon load", () => anonymous.loadModel("mock-880hz"), U);
        await check("anon list", () => anonymous.listModels(), U);
        await check("anon caps", () => anonymous.capabilities(), U);
        await check("anon end", () => anonymous.endSession("x"), U);
        await check("anon reload", () => anonymous.control("x", ControlCommand.CONTROL_COMMAND_RELOAD), U);
        const badIds = ["", "a b", "x".repeat(129), "../x", "a/b", "é", "a\u0000b", "*", "a;b", "{}"];
        for (let i = 0; i < 20; i++) {
          badIds.push(String.fromCharCode(...Array.from({ length: 5 }, () => 33 + Math.floor(random() * 94))) + " ");
        }
        for (const id of badIds) await check(`start id ${JSON.stringify(id)}`, () => client.startSession(id), I);
        const badModels = ["../mock-440hz", "mock-a/b", "piper-../../etc", "mock-..", "m".repeat(129), " mock"];
        for (const model of badModels) {
          await check(`start model ${model.slice(0, 20)}`, () => client.startSession("ok-id", model), I);
          await check(`load ${model.slice(0, 20)}`, () => client.loadModel(model), I);
          await check(`unload ${model.slice(0, 20)}`, () => client.unloadModel(model, true), I);
        }
        await check("load unknown", () => client.loadModel("mock-nope"), [status.NOT_FOUND, status.INVALID_ARGUMENT]);
        await check("unload empty", () => client.unloadModel(""), I);
        await check("control unknown session", () => client.control("nope", ControlCommand.CONTROL_COMMAND_STOP), [
          status.NOT_FOUND,
        ]);
        await check("control unspecified", () => client.control("nope", ControlCommand.CONTROL_COMMAND_UNSPECIFIED), [
          status.INVALID_ARGUMENT,
          status.NOT_FOUND,
        ]);
        await check("control 99", () => client.control("nope", 99 as ControlCommand), [
          status.INVALID_ARGUMENT,
          status.NOT_FOUND,
        ]);
        await check("end unknown", () => client.endSession("nope"), [status.NOT_FOUND]);
        await check(
          "renew 20000 ids",
          () =>
            new Promise((resolve, reject) =>
              client.tts.renewSessions(
                { sessionIds: Array(20_000).fill("x") },
                (e, r) => e ? reject(e) : resolve(r),
              )
            ),
          I,
        );
        await client.startSession("corpus");
        const streams: Array<[string, Array<ReturnType<typeof chunk>>, number[]]> = [
          ["no session id", [chunk("", "hi")], I],
          ["unknown session", [chunk("nope", "hi")], [status.NOT_FOUND]],
          ["empty first chunk", [chunk("corpus", "")], I],
          ["over chunk limit", [chunk("corpus", "x".repeat(4001))], I],
          ["mismatched session", [chunk("corpus", "hi"), chunk("other", "x")], I],
          ["later chunk over the limit", [chunk("corpus", "hi"), chunk("", "y".repeat(4001))], I],
          ["bad id", [chunk("../x", "hi")], I],
        ];
        for (const [name, chunks, ok] of streams) {
          const call = client.openStream();
          const done = collect(call);
          for (const c of chunks) call.write(c);
          call.end();
          const { error } = await done;
          results.push([`synthesize ${name}`, error?.code ?? "ok", ok]);
        }
        const empty = client.openStream();
        const emptyDone = collect(empty);
        empty.end();
        results.push(["synthesize closed at once", (await emptyDone).error?.code ?? "ok", I]);
        await client.endSession("corpus");
      } finally {
        anonymous.close();
        client.close();
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const wrong = results.filter(([, code, ok]) => code === "ok" || !ok.includes(code));
      assert.deepEqual(wrong, []);
      assert.ok(results.every(([, code]) => code !== status.INTERNAL && code !== status.UNKNOWN));
      await afterBatch(stack, "gRPC", results.length, counter);
    });

    await t.step("Redis registry", async () => {
      const keys = registryKeys();
      const redis = new Redis(stack.redis.url, { maxRetriesPerRequest: 1 });
      const cases = registryCases((name) => sampleRecord(name) as unknown as Record<string, unknown>);
      try {
        for (const [name, value] of cases) {
          await redis.sadd(keys.index, name);
          if (value !== null) await redis.set(keys.worker(name), value, "PX", 60_000);
        }
        await redis.publish(keys.channel, JSON.stringify({ type: "join", name: "evil" }));
        await redis.publish(keys.channel, "{not json");
        await new Promise((resolve) => setTimeout(resolve, 1500)); // a refresh or two
        assert.deepEqual(
          stack.orchestrator.router.workers().map((w) => w.name),
          [stack.workerName],
          "only the real, signed worker is used",
        );
      } finally {
        redis.disconnect();
      }
      await afterBatch(stack, "Redis", cases.length + 2, counter);
    });

    await t.step("WebSocket bytes and timing", async () => {
      const messages = wsMessages();
      const wrong: string[] = [];
      for (const [name, data] of messages) {
        const client = await stack.connect();
        await client.start();
        client.sendRaw(data);
        const outcome = await Promise.race([
          client.waitFor("error", 5000).then((e) => `error ${(e as { code: string }).code}`),
          client.closed.then((c) => `close ${c.code}`),
        ]).catch((e) => `nothing (${e.message})`);
        if (!/^(error|close)/.test(outcome) || /close 1011/.test(outcome)) wrong.push(`${name}: ${outcome}`);
        await client.close();
      }
      // Timing: audio before start, close right after start, connect-and-drop in a burst.
      const early = await stack.connect();
      early.sendRaw(new Uint8Array(640));
      const earlyClose = await early.closed;
      if (earlyClose.code === 1000 || earlyClose.code === 1011) wrong.push(`audio before start: ${earlyClose.code}`);
      for (let i = 0; i < 20; i++) {
        const c = await stack.connect();
        if (i % 2) c.sendJson({ type: "session.start" });
        await c.close();
      }
      const bad = await VoiceWsClient.connect(stack.orchestrator.wsUrl, { credential: "wrong-key" }).catch(() => null);
      if (bad) {
        const closed = await bad.closed;
        if (closed.code !== 4001 && closed.code !== 1006) wrong.push(`wrong key closed with ${closed.code}`);
      }
      assert.deepEqual(wrong, []);
      await afterBatch(stack, "WebSocket", messages.length + 22, counter);
    });

    await t.step("configuration", async () => {
      const wrong: string[] = [];
      const cases: Array<["orchestrator" | "worker", string, string]> = [
        ...configCases().map(([k, v]) => ["orchestrator", k, v] as ["orchestrator", string, string]),
        ...workerConfigCases().map(([k, v]) => ["worker", k, v] as ["worker", string, string]),
      ];
      for (const [service, name, value] of cases) {
        const result = service === "worker"
          ? loadConfig(workerConfigSchema, { ADAPTER_TYPE: "mock", DEFAULT_MODEL: "mock-440hz", [name]: value }, {
            service,
            checks: [checkWorkerExposure()],
          })
          : loadConfig(orchestratorConfigSchema, { [name]: value }, {
            service,
            checks: orchestratorConfigChecks(() => ({ available: false, gpus: [], detail: "test" })),
          });
        if (result.ok || !result.problems.some((p) => p.variable === name)) {
          wrong.push(`${service} ${name}=${value.slice(0, 30)}: ${result.ok ? "accepted" : "problem names another"}`);
        }
      }
      assert.deepEqual(wrong, []);
      await afterBatch(stack, "config", cases.length, counter);
    });
    assert.ok(counter.total >= 300, `${counter.total} hostile inputs`);
    console.log(`hostile corpus: ${counter.total} inputs, services healthy after each batch`);
  } finally {
    await stack.close();
  }
});
