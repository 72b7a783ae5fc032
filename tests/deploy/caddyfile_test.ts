import assert from "node:assert/strict";

const REPO = new URL("../../", import.meta.url).pathname;

async function caddy(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  const out = await new Deno.Command("caddy", {
    args,
    cwd: REPO,
    env: { XDG_DATA_HOME: "/nonexistent-caddy-data", XDG_CONFIG_HOME: "/nonexistent-caddy-config", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, out: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr) };
}

// deno-lint-ignore no-explicit-any
type Json = any;

async function adapt(env: Record<string, string> = {}): Promise<Json> {
  const run = await new Deno.Command("caddy", {
    args: ["adapt", "--config", "Caddyfile", "--adapter", "caddyfile"],
    cwd: REPO,
    env,
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.equal(run.code, 0);
  return JSON.parse(new TextDecoder().decode(run.stdout));
}

function dials(server: Json): string[] {
  return JSON.stringify(server).match(/"dial":"[^"]+"/g)?.map((d) => d.slice(8, -1)) ?? [];
}

function serverOn(config: Json, port: number): Json {
  return Object.values(config.apps.http.servers).find((s: Json) => s.listen.includes(`:${port}`));
}

Deno.test("caddy validate accepts the Caddyfile", async () => {
  const run = await caddy(["validate", "--config", "Caddyfile", "--adapter", "caddyfile"]);
  assert.equal(run.code, 0, run.out);
  assert.match(run.out, /Valid configuration/);
});

Deno.test("the Caddyfile is in caddy fmt's canonical form", async () => {
  const run = await new Deno.Command("caddy", { args: ["fmt", "Caddyfile"], cwd: REPO, stdout: "piped" }).output();
  assert.equal(new TextDecoder().decode(run.stdout), await Deno.readTextFile(`${REPO}Caddyfile`));
});

Deno.test("dev defaults: localhost on 8443 to the orchestrator and 8444 to LiveKit, internal TLS, no admin API", async () => {
  const config = await adapt();
  assert.deepEqual(config.admin, { disabled: true });
  const web = serverOn(config, 8443);
  const livekit = serverOn(config, 8444);
  assert.ok(web && livekit, "listeners on 8443 and 8444");
  assert.deepEqual(dials(web), ["127.0.0.1:8080"]);
  assert.deepEqual(dials(livekit), ["127.0.0.1:7880"]);
  assert.deepEqual(web.routes[0].match, [{ host: ["localhost"] }]);
  const policies = config.apps.tls.automation.policies;
  assert.ok(policies.some((p: Json) => p.issuers?.some((i: Json) => i.module === "internal")), "tls internal");
  assert.ok(JSON.stringify(web).includes('"file_server"'), "serves the built web client when it exists");
});

Deno.test("host, ports and upstreams come from the environment (compose values)", async () => {
  const config = await adapt({
    PUBLIC_HOST: "voice.example.com",
    CADDY_WEB_PORT: "9443",
    CADDY_LIVEKIT_PORT: "9444",
    ORCHESTRATOR_UPSTREAM: "orchestrator:8080",
    LIVEKIT_UPSTREAM: "livekit:7880",
    CADDY_ADMIN: "127.0.0.1:2019",
  });
  assert.deepEqual(config.admin, { listen: "127.0.0.1:2019" });
  assert.deepEqual(dials(serverOn(config, 9443)), ["orchestrator:8080"]);
  assert.deepEqual(dials(serverOn(config, 9444)), ["livekit:7880"]);
  assert.deepEqual(serverOn(config, 9444).routes[0].match, [{ host: ["voice.example.com"] }]);
});

Deno.test("CADDY_TLS picks the certificates: internal CA, files from /etc/caddy/certs, or ACME", async () => {
  const files = await adapt({ CADDY_TLS: "files", PUBLIC_HOST: "voice.example.com" });
  assert.deepEqual(files.apps.tls.certificates.load_files, [
    {
      certificate: "/etc/caddy/certs/cert.pem",
      key: "/etc/caddy/certs/key.pem",
      tags: [files.apps.tls.certificates.load_files[0].tags[0]],
    },
  ]);
  const acme = await adapt({ CADDY_TLS: "acme", PUBLIC_HOST: "voice.example.com" });
  assert.equal(
    acme.apps.tls?.automation?.policies?.some((p: Json) => p.issuers?.some((i: Json) => i.module === "internal")) ??
      false,
    false,
    "no internal issuer",
  );
  assert.equal(acme.apps.tls?.certificates, undefined, "no files");
  const bad = await caddy(["adapt", "--config", "Caddyfile", "--adapter", "caddyfile"], { CADDY_TLS: "self-signed" });
  assert.notEqual(bad.code, 0, "an unknown mode is an error, not a silent default");
  assert.match(bad.out, /tls_self-signed/);
});

Deno.test("a WebSocket upgrade on / reaches the orchestrator even when the web client is built", async () => {
  const config = await adapt();
  const web = serverOn(config, 8443);
  const text = JSON.stringify(web);
  assert.match(text, /"not":\[\{"header_regexp":\{"Upgrade":\{"pattern":"\(\?i\)\^websocket\$"\}\}\}\]/);
});
