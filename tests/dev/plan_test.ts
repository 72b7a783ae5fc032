import assert from "node:assert/strict";
import { planStack } from "../../scripts/dev/plan.ts";
import { validateSpecs } from "../../scripts/dev/supervisor.ts";
import { freePort } from "../../harness/ports.ts";

/** A folder with fake executables of the given names (the planner only looks them up on PATH). */
async function fakeBin(dir: string, names: string[]): Promise<string> {
  const bin = `${dir}/bin`;
  await Deno.mkdir(bin, { recursive: true });
  for (const name of names) {
    await Deno.writeTextFile(`${bin}/${name}`, "#!/bin/sh\nexit 0\n");
    await Deno.chmod(`${bin}/${name}`, 0o755);
  }
  return bin;
}

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "dev-plan-test-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function fakePiperVoice(voicepacks: string, folder: string): Promise<void> {
  const dir = `${voicepacks}/piper/${folder}`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${dir}/voice.onnx`, "not a real model: the planner only checks that the files exist");
  await Deno.writeTextFile(`${dir}/voice.onnx.json`, "{}");
}

Deno.test("dev-agent-piper with everything installed runs redis, livekit, worker, orchestrator and caddy", async () => {
  await withDir(async (dir) => {
    const bin = await fakeBin(dir, ["redis-server", "caddy"]);
    await fakePiperVoice(`${dir}/voicepacks`, "en-us-test-medium");
    const redisPort = freePort();
    const plan = await planStack("dev-agent-piper", {
      PATH: bin,
      LIVEKIT_SERVER_BIN: `${bin}/caddy`,
      VOICEPACKS_DIR: `${dir}/voicepacks`,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    });
    assert.deepEqual(plan.services.map((s) => s.name), ["redis", "livekit", "worker", "orchestrator", "caddy"]);
    assert.deepEqual(plan.leftOut, []);
    assert.deepEqual(plan.tasks, ["run-tts-piper", "run-orch"]);
    const byName = Object.fromEntries(plan.services.map((s) => [s.name, s]));
    assert.equal(byName.worker.command.at(-1), "run-tts-piper");
    assert.equal(byName.worker.env?.DEFAULT_MODEL, "piper-en-us-test-medium", "the installed voice is chosen");
    assert.equal(byName.worker.env?.ADAPTER_TYPE, "piper");
    assert.deepEqual(byName.worker.dependsOn, ["redis"]);
    assert.deepEqual(byName.orchestrator.dependsOn?.sort(), ["livekit", "redis", "worker"]);
    assert.equal(byName.orchestrator.env?.LIVEKIT_URL, "ws://127.0.0.1:7880");
    assert.equal(byName.orchestrator.env?.TTS_WORKER_ADDRESS, "127.0.0.1:7002");
    assert.deepEqual(byName.orchestrator.health, { kind: "http", url: "http://127.0.0.1:8081/health" });
    assert.deepEqual(byName.worker.health, { kind: "grpc", address: "127.0.0.1:7002" });
    assert.deepEqual(byName.redis.health, { kind: "redis", host: "127.0.0.1", port: redisPort, password: undefined });
    assert.equal(byName.livekit.env?.LIVEKIT_KEYS?.split(":")[0], "devkey");
    assert.ok(!byName.livekit.command.join(" ").includes("secret"), "the LiveKit secret is not on the command line");
    assert.deepEqual(plan.urls.map(([label]) => label), ["web", "livekit", "health"]);
    assert.equal(plan.urls[0][1], "https://localhost:8443");
    assert.equal(plan.urls[1][1], "wss://localhost:8444");
  });
});

Deno.test("without Redis, LiveKit, Caddy and a Piper voice the stack falls back and says what it left out", async () => {
  await withDir(async (dir) => {
    const bin = await fakeBin(dir, []);
    await Deno.mkdir(`${dir}/voicepacks`);
    const plan = await planStack("dev-agent-piper", {
      PATH: bin,
      LIVEKIT_SERVER_BIN: `${dir}/no-such-binary`,
      VOICEPACKS_DIR: `${dir}/voicepacks`,
      REDIS_URL: `redis://127.0.0.1:${freePort()}`,
      ORCHESTRATOR_WS_PORT: "18080",
    });
    assert.deepEqual(plan.services.map((s) => s.name), ["worker", "orchestrator"]);
    const [worker, orchestrator] = plan.services;
    assert.equal(worker.command.at(-1), "run-tts-mock", "no voice: the mock adapter");
    assert.equal(worker.env?.DEFAULT_MODEL, "mock-440hz");
    assert.deepEqual(orchestrator.dependsOn, ["worker"]);
    assert.equal(orchestrator.env?.LIVEKIT_URL, "", "LiveKit is switched off even if .env sets it");
    assert.equal(orchestrator.env?.TTS_WORKER_ADDRESS, "127.0.0.1:7002", "static routing to the worker");
    const leftOut = plan.leftOut.join("\n");
    assert.match(leftOut, /Piper voice .* -> mock adapter/);
    assert.match(leftOut, /Redis .* -> static routing to 127\.0\.0\.1:7002/);
    assert.match(leftOut, /LiveKit .* -> WebSocket transport, page served by the orchestrator/);
    assert.match(leftOut, /Caddy .* -> plain http on localhost: http:\/\/127\.0\.0\.1:18080/);
    assert.deepEqual(plan.urls[0], ["web", "http://127.0.0.1:18080"]);
  });
});

Deno.test("dev takes the worker from ADAPTER_TYPE and DEFAULT_MODEL", async () => {
  await withDir(async (dir) => {
    const base = {
      PATH: await fakeBin(dir, []),
      LIVEKIT_SERVER_BIN: `${dir}/none`,
      REDIS_URL: "redis://10.9.9.9:6379",
    };
    const cosy = await planStack("dev", { ...base, ADAPTER_TYPE: "cosyvoice2", DEFAULT_MODEL: "cosyvoice2-en-base" });
    const worker = cosy.services.find((s) => s.name === "worker")!;
    assert.equal(worker.command.at(-1), "run-tts-cosyvoice");
    assert.equal(worker.env?.DEFAULT_MODEL, "cosyvoice2-en-base");
    assert.ok(
      cosy.notes.some((n) => n.includes("using the Redis at 10.9.9.9:6379")),
      "a remote Redis is used, not run",
    );
    assert.ok(!cosy.services.some((s) => s.name === "redis"));

    const mock = await planStack("dev", { ...base, ADAPTER_TYPE: "mock", DEFAULT_MODEL: "mock-220hz" });
    assert.equal(mock.services.find((s) => s.name === "worker")?.env?.DEFAULT_MODEL, "mock-220hz");

    await assert.rejects(planStack("dev", { ...base, ADAPTER_TYPE: "espeak" }), /ADAPTER_TYPE=espeak is not one of/);
  });
});

Deno.test("bad ports and URLs in the environment are reported by variable name", async () => {
  await assert.rejects(
    planStack("dev-agent-mock", { ORCHESTRATOR_WS_PORT: "80800" }),
    /ORCHESTRATOR_WS_PORT="80800": must be a TCP port/,
  );
  await assert.rejects(
    planStack("dev-agent-mock", { CADDY_WEB_PORT: "x", PUBLIC_HOST: "https://a/" }),
    (error: Error) => /CADDY_WEB_PORT="x"/.test(error.message) && /PUBLIC_HOST="https:\/\/a\/"/.test(error.message),
    "every bad deployment variable is named at once",
  );
  await assert.rejects(planStack("dev-agent-mock", { LIVEKIT_URL: "::" }), /LIVEKIT_URL="::": is not a valid URL/);
  await assert.rejects(
    planStack("dev-agent-mock", { REDIS_URL: "not a url" }),
    /REDIS_URL="not a url": is not a valid URL/,
  );
});

Deno.test("stack definitions with unknown dependencies, cycles or duplicates are rejected", () => {
  const svc = (name: string, dependsOn: string[] = []) => ({ name, command: ["true"], dependsOn });
  assert.deepEqual(validateSpecs([svc("a"), svc("b", ["a"])]), []);
  assert.deepEqual(validateSpecs([svc("a", ["x"])]), ['service "a" depends on "x", which is not in the stack']);
  assert.ok(validateSpecs([svc("a", ["b"]), svc("b", ["a"])]).some((p) => p.startsWith("dependency cycle")));
  assert.deepEqual(validateSpecs([svc("a"), svc("a")]), ['service "a" is defined twice']);
  assert.deepEqual(validateSpecs([{ name: "e", command: [] }]), ['service "e" has an empty command']);
});
