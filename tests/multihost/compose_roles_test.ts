/**
 * The per-role compose files of a multi-host deployment are valid compose, every service is on the host's network,
 * workers advertise their host's address, LiveKit nodes share the core host's Redis and advertise their own address.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;
const ENV = [
  "HOST_IP=10.9.0.13",
  "CORE_HOST_IP=10.9.0.11",
  "LIVEKIT_NODE_IP=10.9.0.12",
  "REDIS_PASSWORD=test-password",
  "WORKER_RPC_SECRET=test-worker-rpc-secret-0123456789abcdef",
  "LIVEKIT_API_KEY=key",
  "LIVEKIT_API_SECRET=secret-secret-secret-secret-secret-0",
  "ORCHESTRATOR_UPSTREAMS=10.9.0.11:8080 10.9.0.12:8080",
  "LIVEKIT_UPSTREAMS=10.9.0.11:7880 10.9.0.12:7880",
].join("\n");

/** `docker-compose config` of one file (with the mock profile) in a scratch folder, as JSON. */
async function config(file: string): Promise<{ services: Record<string, Record<string, unknown>> }> {
  const dir = await Deno.makeTempDir({ prefix: "compose-roles-" });
  try {
    await Deno.copyFile(`${ROOT}${file}`, `${dir}/${file}`);
    await Deno.writeTextFile(`${dir}/.env`, ENV);
    const out = await new Deno.Command("docker-compose", {
      args: ["-f", file, "--profile", "mock", "config"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.ok(out.success, `docker-compose config ${file}: ${stderr}`);
    const json = await new Deno.Command("python3", {
      args: ["-c", "import sys, yaml, json; print(json.dumps(yaml.safe_load(sys.stdin)))"],
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const writer = json.stdin.getWriter();
    await writer.write(out.stdout);
    await writer.close();
    return JSON.parse(new TextDecoder().decode((await json.output()).stdout));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const role of ["core", "agent", "tts"]) {
  Deno.test(`docker-compose.host-${role}.yml: valid, host networking, host addresses`, async () => {
    const { services } = await config(`docker-compose.host-${role}.yml`);
    for (const [name, service] of Object.entries(services)) {
      assert.equal(service.network_mode, "host", `${name} uses the host's network`);
      const env = service.environment as Record<string, string>;
      if (name === "livekit") {
        assert.equal(env.REDIS_HOST, "10.9.0.11:6379");
        assert.equal(env.NODE_IP, "10.9.0.12");
      }
      if (name.startsWith("tts-")) assert.equal(env.WORKER_ADVERTISE_ADDRESS, "10.9.0.13:7002");
      if (name === "orchestrator" || name.startsWith("tts-")) {
        assert.equal(env.REDIS_URL, "redis://:test-password@10.9.0.11:6379");
      }
    }
  });
}
