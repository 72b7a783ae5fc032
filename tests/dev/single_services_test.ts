import assert from "node:assert/strict";
import { findLivekitServer } from "../../scripts/setup/livekit.ts";
import { freePort } from "../../harness/ports.ts";
import { freePortRun } from "../../harness/ports.ts";
import { descendants, RunnerProcess, survivors } from "./runner_harness.ts";

const READY = /^dev\s+\| ready in /;

async function stopAndCheck(runner: RunnerProcess, children: number[]): Promise<void> {
  const started = performance.now();
  runner.signal("SIGINT");
  const status = await runner.exit(30_000);
  assert.equal(status.code, 0, runner.lines.join("\n"));
  assert.ok(performance.now() - started < 15_000, "stops within the stop timeouts");
  assert.deepEqual(await survivors(children), [], "the service process is gone");
}

Deno.test("deno task redis runs a real redis-server that answers PING and stops on Ctrl+C", async () => {
  const port = freePort();
  const runner = RunnerProcess.main(["redis", "--log-file", "/dev/null"], { REDIS_URL: `redis://127.0.0.1:${port}` });
  try {
    const ready = await runner.waitFor(READY, 30_000);
    assert.match(ready, new RegExp(`redis redis://127.0.0.1:${port}`));
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const buf = new Uint8Array(16);
    const n = await conn.read(buf);
    conn.close();
    assert.equal(new TextDecoder().decode(buf.subarray(0, n ?? 0)), "+PONG\r\n");
    await stopAndCheck(runner, descendants(runner.pid));
  } finally {
    runner.signal("SIGKILL");
    await runner.exit(10_000);
  }
});

Deno.test("deno task livekit runs the LiveKit server on loopback with the configured keys", async () => {
  const bin = await findLivekitServer();
  assert.ok(bin, "livekit-server is missing: run `deno task setup` (it builds it with go install)");
  const port = await freePortRun();
  const runner = RunnerProcess.main(["livekit", "--log-file", "/dev/null"], {
    LIVEKIT_URL: `ws://127.0.0.1:${port}`,
    LIVEKIT_API_KEY: "testkey",
    LIVEKIT_API_SECRET: "test-secret-that-is-at-least-32-characters",
  });
  try {
    await runner.waitFor(READY, 60_000);
    const response = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal((await response.text()).trim(), "OK");
    const started = runner.lines.find((l) => l.includes("starting LiveKit server")) ?? "";
    assert.match(started, /"nodeIP": "127\.0\.0\.1"/, "advertises loopback (--node-ip 127.0.0.1)");
    assert.match(started, /"bindAddresses": \["127\.0\.0\.1"\]/, "listens on loopback only");
    await stopAndCheck(runner, descendants(runner.pid));
  } finally {
    runner.signal("SIGKILL");
    await runner.exit(10_000);
  }
});

Deno.test("deno task caddy serves HTTPS from its internal CA, proxying the API and LiveKit and serving web/dist", async () => {
  const dir = await Deno.makeTempDir({ prefix: "caddy-test-" });
  const api = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    return new Response(`api saw ${new URL(req.url).pathname}`);
  });
  const livekit = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => new Response("OK"));
  const [webPort, lkPort] = [freePort(), freePort()];
  await Deno.mkdir(`${dir}/web`);
  await Deno.writeTextFile(`${dir}/web/index.html`, "<title>voice chat</title>");
  const runner = RunnerProcess.main(["caddy", "--log-file", "/dev/null"], {
    CADDY_WEB_PORT: String(webPort),
    CADDY_LIVEKIT_PORT: String(lkPort),
    ORCHESTRATOR_WS_PORT: String(api.addr.port),
    LIVEKIT_URL: `ws://127.0.0.1:${livekit.addr.port}`,
    WEB_ROOT: `${dir}/web`,
    XDG_DATA_HOME: `${dir}/data`,
    XDG_CONFIG_HOME: `${dir}/config`,
  });
  let client: Deno.HttpClient | undefined;
  try {
    await runner.waitFor(READY, 60_000);
    const rootPath = `${dir}/data/caddy/pki/authorities/local/root.crt`;
    let root = "";
    for (let i = 0; i < 100 && !root; i++) {
      root = await Deno.readTextFile(rootPath).catch(() => "");
      if (!root) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(root.includes("BEGIN CERTIFICATE"), "Caddy created its internal root CA");
    client = Deno.createHttpClient({ caCerts: [root] });
    const get = async (url: string) => {
      const response = await fetch(url, { client });
      return { status: response.status, headers: response.headers, body: await response.text() };
    };
    const page = await get(`https://localhost:${webPort}/`);
    assert.equal(page.body, "<title>voice chat</title>", "the built client comes from WEB_ROOT");
    assert.equal(page.headers.get("x-content-type-options"), "nosniff");
    assert.match(page.headers.get("permissions-policy") ?? "", /microphone=\(self\)/);
    const apiCall = await get(`https://localhost:${webPort}/api/connection-details`);
    assert.equal(apiCall.body, "api saw /api/connection-details", "API calls reach the orchestrator");
    assert.equal((await get(`https://localhost:${lkPort}/`)).body, "OK", "8444 reaches LiveKit");
    await stopAndCheck(runner, descendants(runner.pid));
  } finally {
    client?.close();
    runner.signal("SIGKILL");
    await runner.exit(10_000);
    await api.shutdown();
    await livekit.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
