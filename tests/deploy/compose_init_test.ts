import assert from "node:assert/strict";
import { initEnv, isStrongSecret, parseEnv, SECRETS, weakSecrets } from "../../scripts/compose/init.ts";

const REPO = new URL("../../", import.meta.url).pathname;
const example = await Deno.readTextFile(`${REPO}.env.example`);

Deno.test("compose:init fills every secret of a fresh .env with a strong random value", () => {
  const { text, generated } = initEnv(null, example);
  const env = parseEnv(text);
  assert.deepEqual(generated, SECRETS.map((s) => s.name));
  for (const spec of SECRETS) assert.ok(isStrongSecret(spec, env.get(spec.name)), `${spec.name}=${env.get(spec.name)}`);
  assert.equal(env.get("COMPOSE_REDIS_URL"), `redis://:${env.get("REDIS_PASSWORD")}@redis:6379`);
  assert.equal(env.get("PIPER_MODEL"), "piper-en-us-joe-medium", "the voice the image carries");
  const again = parseEnv(initEnv(null, example).text);
  for (const spec of SECRETS) assert.notEqual(again.get(spec.name), env.get(spec.name), `${spec.name} is random`);
});

Deno.test("compose:init is idempotent and keeps what the user set", () => {
  const first = initEnv(null, example).text.replace("PUBLIC_HOST=localhost", "PUBLIC_HOST=voice.example.com");
  const second = initEnv(first, example);
  assert.deepEqual(second.generated, []);
  assert.deepEqual(second.set, []);
  assert.equal(second.text, first);
});

Deno.test("compose:init replaces empty, short and placeholder secrets, and --force replaces all", () => {
  let text = initEnv(null, example).text;
  const kept = parseEnv(text).get("LIVEKIT_API_SECRET");
  text = text.replace(/^LIVEKIT_API_KEY=.*$/m, "LIVEKIT_API_KEY=devkey")
    .replace(/^ORCHESTRATOR_TOKEN_SECRET=.*$/m, "ORCHESTRATOR_TOKEN_SECRET=short")
    .replace(/^REDIS_PASSWORD=.*$/m, "REDIS_PASSWORD=");
  const fixed = initEnv(text, example);
  assert.deepEqual(fixed.generated.sort(), ["LIVEKIT_API_KEY", "ORCHESTRATOR_TOKEN_SECRET", "REDIS_PASSWORD"]);
  assert.equal(parseEnv(fixed.text).get("LIVEKIT_API_SECRET"), kept, "a strong secret stays");
  assert.ok(fixed.set.includes("COMPOSE_REDIS_URL"), "the Redis URL follows the new password");
  const forced = initEnv(fixed.text, example, { force: true });
  assert.deepEqual(forced.generated, SECRETS.map((s) => s.name));
  assert.notEqual(parseEnv(forced.text).get("LIVEKIT_API_SECRET"), kept);
});

Deno.test("deno task compose:init writes .env with mode 0600 and refuses unknown arguments", async () => {
  const dir = await Deno.makeTempDir({ prefix: "compose-init-" });
  try {
    const run = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", `${REPO}scripts/compose/init.ts`, ...args],
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      }).output();
    const ok = await run([]);
    assert.equal(ok.code, 0, new TextDecoder().decode(ok.stderr));
    assert.match(new TextDecoder().decode(ok.stdout), /wrote \.env: generated LIVEKIT_API_KEY/);
    assert.equal((await Deno.stat(`${dir}/.env`)).mode! & 0o777, 0o600);
    const same = await run([]);
    assert.match(new TextDecoder().decode(same.stdout), /kept every secret/);
    const bad = await run(["--bogus"]);
    assert.equal(bad.code, 2);
    assert.match(new TextDecoder().decode(bad.stderr), /usage: deno task compose:init/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--check names every weak secret and why, and passes compose:init's output", () => {
  const strong = Object.fromEntries(parseEnv(initEnv(null, example).text));
  assert.deepEqual(weakSecrets(strong), []);
  const problems = weakSecrets({
    ...strong,
    LIVEKIT_API_SECRET: "secret",
    REDIS_PASSWORD: "",
    ORCHESTRATOR_TOKEN_SECRET: "abc",
  });
  assert.deepEqual(problems.map((p) => p.split(":")[0]), [
    "LIVEKIT_API_SECRET is a placeholder",
    "ORCHESTRATOR_TOKEN_SECRET is shorter than 32 characters",
    "REDIS_PASSWORD is empty",
  ]);
  assert.match(problems[0], /run `deno task compose:init`/);
});
