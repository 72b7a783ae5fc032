import assert from "node:assert/strict";
import { activeServices, compose, composeConfig, type ComposeService, REPO } from "./compose_harness.ts";

const VARIANTS: { name: string; args: string[]; profiles: string[] }[] = [
  { name: "default", args: [], profiles: [] },
  { name: "cosyvoice profile", args: ["--profile", "cosyvoice"], profiles: ["cosyvoice"] },
  {
    name: "multi-GPU override",
    args: ["-f", "docker-compose.yml", "-f", "docker-compose.multi-gpu.yml"],
    profiles: [],
  },
  {
    name: "cosyvoice CPU override",
    args: ["-f", "docker-compose.yml", "-f", "docker-compose.cosyvoice-cpu.yml", "--profile", "cosyvoice"],
    profiles: ["cosyvoice"],
  },
];

function healthTest(service: ComposeService): string {
  const test = service.healthcheck?.test;
  return Array.isArray(test) ? test.join(" ") : test ?? "";
}

for (const variant of VARIANTS) {
  Deno.test(`docker compose config -q passes for the ${variant.name}`, async () => {
    const run = await compose([...variant.args, "config", "-q"]);
    assert.equal(run.code, 0, run.stderr);
  });

  Deno.test(`every service of the ${variant.name} has a healthcheck that really checks`, async () => {
    const config = await composeConfig(variant.args);
    for (const [name, service] of activeServices(config, variant.profiles)) {
      if (name === "assets") continue; // one-shot: it exits 0 when the volumes are filled
      const test = healthTest(service);
      assert.ok(test && !service.healthcheck?.disable, `${name} has no healthcheck`);
      assert.doesNotMatch(test, /\|\|\s*(exit 0|true)|^CMD-SHELL (true|exit 0)$/, `${name}'s healthcheck cannot fail`);
      for (const script of test.match(/scripts\/[\w/]+\.ts/g) ?? []) {
        await Deno.stat(`${REPO}${script}`); // the probe script the healthcheck runs exists
      }
      for (const [dep, { condition }] of Object.entries(service.depends_on ?? {})) {
        const want = dep === "assets" ? "service_completed_successfully" : "service_healthy";
        assert.equal(condition, want, `${name} waits for ${dep} to be ${want}, not just started`);
      }
    }
  });
}

Deno.test("the healthchecks use the real probes: redis-cli ping, grpc.health.v1, the orchestrator's /health", async () => {
  const config = await composeConfig(["--profile", "cosyvoice"]);
  assert.match(healthTest(config.services.redis), /redis-cli .*ping/);
  assert.match(healthTest(config.services.orchestrator), /http_health_probe\.ts http:\/\/127\.0\.0\.1:8081\/health/);
  for (const worker of ["tts-piper", "tts-cosyvoice"]) {
    assert.match(healthTest(config.services[worker]), /grpc_health_probe\.ts 127\.0\.0\.1:7002/);
  }
  assert.match(healthTest(config.services.livekit), /127\.0\.0\.1:7880/);
});

Deno.test("only 8443, 8444 and LiveKit's media ports are published", async () => {
  for (const variant of VARIANTS) {
    const config = await composeConfig(variant.args);
    const published: string[] = [];
    for (const [name, service] of activeServices(config, variant.profiles)) {
      for (const port of service.ports ?? []) {
        if (typeof port === "string") published.push(`${name}:${port}`);
        else published.push(`${name}:${port.published}/${port.protocol ?? "tcp"}`);
      }
    }
    assert.deepEqual(
      published.sort(),
      ["caddy:8443/tcp", "caddy:8444/tcp", "livekit:7881/tcp", "livekit:7882/udp"],
      variant.name,
    );
  }
});

Deno.test("the cosyvoice profile reserves an NVIDIA GPU and its own environment wins over .env", async () => {
  const dotEnv = (await Deno.readTextFile(`${REPO}.env.example`)) +
    "\nADAPTER_TYPE=piper\nDEFAULT_MODEL=piper-en-us-lessac-medium\nREDIS_URL=redis://127.0.0.1:6379\n";
  const config = await composeConfig(["--profile", "cosyvoice"], { dotEnv });
  const cosy = config.services["tts-cosyvoice"];
  assert.deepEqual(cosy.profiles, ["cosyvoice"]);
  assert.equal(cosy.environment?.ADAPTER_TYPE, "cosyvoice2", "the profile's ADAPTER_TYPE beats .env's piper");
  assert.equal(cosy.environment?.DEFAULT_MODEL, "cosyvoice2-en-base");
  assert.equal(cosy.environment?.REDIS_URL, "redis://redis:6379", "containers reach Redis by service name");
  assert.equal(cosy.environment?.CUDA_VISIBLE_DEVICES, "0");
  const devices = cosy.deploy?.resources?.reservations?.devices ?? [];
  assert.deepEqual(devices, [{ driver: "nvidia", count: 1, capabilities: ["gpu"] }]);
  const piper = config.services["tts-piper"];
  assert.equal(piper.environment?.ADAPTER_TYPE, "piper");
  assert.equal(piper.profiles, undefined, "Piper runs in the default profile");
  assert.equal(config.services.orchestrator.profiles, undefined, "the orchestrator runs in the default profile");
});

Deno.test("the multi-GPU override pins one GPU per worker by device_ids and names each by WORKER_NAME", async () => {
  const config = await composeConfig(["-f", "docker-compose.yml", "-f", "docker-compose.multi-gpu.yml"]);
  for (const [index, name] of ["tts-worker-0", "tts-worker-1"].entries()) {
    const worker = config.services[name];
    assert.equal(worker.environment?.WORKER_NAME, name);
    assert.equal(worker.environment?.ADAPTER_TYPE, "cosyvoice2");
    assert.equal(worker.environment?.WORKER_ADVERTISE_ADDRESS, `${name}:7002`);
    const devices = worker.deploy?.resources?.reservations?.devices ?? [];
    assert.deepEqual(devices, [{ driver: "nvidia", device_ids: [String(index)], capabilities: ["gpu"] }]);
  }
});

Deno.test("compose refuses to start LiveKit without API keys instead of using a default secret", async () => {
  const run = await compose(["config", "-q"], { env: { LIVEKIT_API_KEY: "", LIVEKIT_API_SECRET: "" } });
  assert.notEqual(run.code, 0);
  assert.match(run.stderr, /LIVEKIT_API_(KEY|SECRET)/);
});

Deno.test("third-party images are pinned to versions and ours are built from the Dockerfiles", async () => {
  const config = await composeConfig(["-f", "docker-compose.yml", "-f", "docker-compose.multi-gpu.yml"]);
  for (const [name, service] of Object.entries(config.services)) {
    assert.ok(service.image, `${name} names its image`);
    if (service.build) {
      assert.match(service.image!, /^voice-chat\//, `${name} builds a project image`);
      await Deno.stat(`${REPO}${service.build.dockerfile}`);
    } else {
      assert.match(service.image!, /:v?\d+\.\d+\.\d+/, `${name} pins a version: ${service.image}`);
    }
  }
});

Deno.test("the CPU override drops the GPU reservation of the same cosyvoice image and hides every GPU", async () => {
  const config = await composeConfig([
    "-f",
    "docker-compose.yml",
    "-f",
    "docker-compose.cosyvoice-cpu.yml",
    "--profile",
    "cosyvoice",
  ]);
  const cosy = config.services["tts-cosyvoice"];
  assert.equal(cosy.image, "voice-chat/cosyvoice:latest");
  assert.deepEqual(cosy.deploy?.resources?.reservations?.devices ?? [], []);
  assert.equal(cosy.environment?.CUDA_VISIBLE_DEVICES, "");
  assert.equal(cosy.environment?.ADAPTER_TYPE, "cosyvoice2");
});

Deno.test("every long-running service rotates its logs, restarts by policy and has a memory limit", async () => {
  const config = await composeConfig(["--profile", "cosyvoice"]);
  // deno-lint-ignore no-explicit-any
  for (const [name, service] of Object.entries(config.services) as [string, Record<string, any>][]) {
    assert.equal(service.logging?.driver, "json-file", name);
    assert.equal(service.logging?.options?.["max-size"], "10m", name);
    if (name === "assets") continue;
    assert.equal(service.restart, "unless-stopped", name);
    assert.ok(service.deploy?.resources?.limits?.memory, `${name} has a memory limit`);
  }
});

Deno.test("caddy keeps the one capability its setcap'd binary needs; the services read assets from named volumes", async () => {
  const config = await composeConfig([]);
  // deno-lint-ignore no-explicit-any
  const services = config.services as Record<string, any>;
  assert.deepEqual(services.caddy.cap_drop, ["ALL"]);
  assert.deepEqual(services.caddy.cap_add, ["NET_BIND_SERVICE"]);
  const mounts = (name: string) =>
    (services[name].volumes as { type: string; source: string; target: string }[]).map((v) =>
      `${v.type}:${v.type === "volume" ? v.source : "host"}:${v.target}`
    );
  assert.ok(mounts("orchestrator").includes("volume:models:/app/models"));
  assert.ok(mounts("tts-piper").includes("volume:voicepacks:/app/voicepacks"));
  assert.ok(mounts("caddy").includes("volume:web:/srv/web"));
  for (const name of ["orchestrator", "tts-piper", "caddy"]) {
    assert.ok(!mounts(name).some((m) => /host:\/(app|srv)\/(models|voicepacks|web)/.test(m)), `${name}: no host dir`);
  }
});

Deno.test("the production file serves 80/443 with TLS from ACME or configs/caddy and turns Redis persistence on", async () => {
  const config = await composeConfig(["-f", "docker-compose.yml", "-f", "docker-compose.prod.yml"], {
    env: { CADDY_WEB_PORT: "443" },
  });
  // deno-lint-ignore no-explicit-any
  const services = config.services as Record<string, any>;
  const caddy = services.caddy;
  assert.equal(caddy.environment.CADDY_TLS, "internal", ".env.example's choice wins over the file's acme default");
  const ports = (caddy.ports as { published: string; target: number }[]).map((p) => `${p.published}->${p.target}`);
  assert.deepEqual(ports.sort(), ["443->443", "80->80", "8444->8444"]);
  assert.ok(
    (caddy.volumes as { source: string; target: string }[]).some((v) =>
      v.source.endsWith("/configs/caddy") && v.target === "/etc/caddy/certs"
    ),
  );
  assert.ok((services.redis.command as string[]).join(" ").includes("--appendonly yes"), "persistence on in prod");
  const base = await composeConfig([]);
  // deno-lint-ignore no-explicit-any
  const redis = (base.services as any).redis;
  assert.ok((redis.command as string[]).join(" ").includes("--appendonly no"), "off by default (REDIS_APPENDONLY=no)");
  const on = await composeConfig([], { env: { REDIS_APPENDONLY: "yes" } });
  // deno-lint-ignore no-explicit-any
  assert.ok(((on.services as any).redis.command as string[]).join(" ").includes("--appendonly yes"), "the switch");
});
