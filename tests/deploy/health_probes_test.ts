import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import { freePort } from "../../harness/ports.ts";

const REPO = new URL("../../", import.meta.url).pathname;

/** Runs a probe script exactly as the compose healthchecks do (same minimal permissions). */
async function probe(script: string, allowNet: string, args: string[]): Promise<{ code: number; output: string }> {
  const flags = script === "grpc_health_probe.ts" ? ["--ignore-env"] : [];
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", `--allow-net=${allowNet}`, ...flags, `scripts/${script}`, ...args],
    cwd: REPO,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const output = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, output };
}

async function startHealthServer(): Promise<{ server: grpc.Server; health: HealthImplementation; port: number }> {
  const health = new HealthImplementation({ "": "SERVING", "tts.v1.TTSService": "SERVING" });
  const server = new grpc.Server();
  health.addToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => e ? reject(e) : resolve(p))
  );
  return { server, health, port };
}

Deno.test("grpc_health_probe exits 0 only while the server reports SERVING", async () => {
  const { server, health, port } = await startHealthServer();
  try {
    const address = `127.0.0.1:${port}`;
    const serving = await probe("grpc_health_probe.ts", address, [address]);
    assert.equal(serving.code, 0, serving.output);
    assert.match(serving.output, /^SERVING/);
    assert.equal((await probe("grpc_health_probe.ts", address, [address, "tts.v1.TTSService"])).code, 0);

    health.setStatus("", "NOT_SERVING");
    const draining = await probe("grpc_health_probe.ts", address, [address]);
    assert.equal(draining.code, 1);
    assert.match(draining.output, /^NOT_SERVING/);

    const unknown = await probe("grpc_health_probe.ts", address, [address, "no.Such"]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.output, /NOT_FOUND/);
  } finally {
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  }
});

Deno.test("grpc_health_probe fails for a port nobody listens on and rejects a malformed address", async () => {
  const port = freePort();
  const down = await probe("grpc_health_probe.ts", `127.0.0.1:${port}`, [`127.0.0.1:${port}`, "", "1000"]);
  assert.equal(down.code, 1);
  assert.match(down.output, /^UNREACHABLE/);
  const bad = await probe("grpc_health_probe.ts", "127.0.0.1", ["not-an-address"]);
  assert.equal(bad.code, 2);
  assert.match(bad.output, /usage: grpc_health_probe\.ts <host:port>/);
});

Deno.test("http_health_probe exits 0 for a 2xx answer and 1 for an error status or no server", async () => {
  let status = 200;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => new Response("", { status }));
  try {
    const url = `http://127.0.0.1:${server.addr.port}/health`;
    const allow = `127.0.0.1:${server.addr.port}`;
    assert.equal((await probe("http_health_probe.ts", allow, [url])).code, 0);
    status = 503;
    const failing = await probe("http_health_probe.ts", allow, [url]);
    assert.equal(failing.code, 1);
    assert.match(failing.output, /HTTP 503/);
  } finally {
    await server.shutdown();
  }
  const port = freePort();
  assert.equal((await probe("http_health_probe.ts", `127.0.0.1:${port}`, [`http://127.0.0.1:${port}/`])).code, 1);
  assert.equal((await probe("http_health_probe.ts", "127.0.0.1", ["ftp://x"])).code, 2);
});
