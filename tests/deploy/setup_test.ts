import assert from "node:assert/strict";
import { aptInstallCommand, aptPackagesFor, missingAptPackages } from "../../scripts/setup/apt.ts";
import { domainScriptsFor } from "../../scripts/setup/domain.ts";
import { findLivekitServer, isPinnedLivekit, LIVEKIT_VERSION } from "../../scripts/setup/livekit.ts";
import { linkInto, machineCacheDir, which } from "../../scripts/setup/paths.ts";
import { formatReport } from "../../scripts/setup/report.ts";
import { requirementsHash, VENV_MODULES, VENV_REPO_PATH } from "../../scripts/setup/venv.ts";

const REPO = new URL("../../", import.meta.url).pathname;

Deno.test("setup --for-tests is quiet and idempotent once everything is installed", async () => {
  const run = () =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "scripts/setup.ts", "--for-tests"],
      cwd: REPO,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
  await run(); // installs whatever is missing
  const second = await run();
  const output = new TextDecoder().decode(second.stdout) + new TextDecoder().decode(second.stderr);
  assert.equal(second.code, 0, output);
  assert.doesNotMatch(output, /LEFT OUT/, `a fixture is missing: run \`deno task setup\`:\n${output}`);
  assert.equal(output.trim(), "", "nothing to say when everything is present");
});

Deno.test("setup rejects unknown arguments", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "scripts/setup.ts", "--bogus"],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 2);
  assert.match(new TextDecoder().decode(out.stderr), /unknown argument\(s\) --bogus; known: --for-tests/);
});

Deno.test("the LiveKit server setup installed is the pinned version and runs", async () => {
  const bin = await findLivekitServer();
  assert.ok(bin, "livekit-server is missing: run `deno task setup`");
  assert.ok(await isPinnedLivekit(bin), `${bin} is not LiveKit ${LIVEKIT_VERSION}`);
});

Deno.test("the fixtures venv has every module the tests use", async () => {
  const code = `import importlib.util as u; print([m for m in ${JSON.stringify(VENV_MODULES)} if not u.find_spec(m)])`;
  const out = await new Deno.Command(`${VENV_REPO_PATH}/bin/python`, { args: ["-c", code], stdout: "piped" }).output()
    .catch(() => null);
  assert.ok(out, `${VENV_REPO_PATH} has no Python: run \`deno task setup\``);
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "[]");
});

Deno.test("the venv cache key follows the requirements file and is stable", async () => {
  const a = await requirementsHash();
  assert.match(a, /^[0-9a-f]{16}$/);
  assert.equal(await requirementsHash(), a);
});

Deno.test("missing Debian packages are detected and the install command names them", async () => {
  assert.deepEqual(await missingAptPackages(["sox", "no-such-package-xyz"]), ["no-such-package-xyz"]);
  assert.equal(aptInstallCommand(["a", "b"]), "sudo apt-get update && sudo apt-get install -y a b");
});

Deno.test("linkInto points a link at the cache, replaces a stale link and leaves a real folder alone", async () => {
  const dir = await Deno.makeTempDir({ prefix: "setup-link-test-" });
  try {
    await Deno.mkdir(`${dir}/a`);
    await Deno.mkdir(`${dir}/b`);
    assert.equal(await linkInto(`${dir}/a`, `${dir}/sub/link`), true);
    assert.equal(await Deno.readLink(`${dir}/sub/link`), `${dir}/a`);
    assert.equal(await linkInto(`${dir}/b`, `${dir}/sub/link`), true);
    assert.equal(await Deno.readLink(`${dir}/sub/link`), `${dir}/b`);
    await Deno.mkdir(`${dir}/real`);
    assert.equal(await linkInto(`${dir}/a`, `${dir}/real`), false);
    assert.ok((await Deno.lstat(`${dir}/real`)).isDirectory);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the machine cache follows VOICE_CHAT_CACHE, then XDG_CACHE_HOME, then HOME", () => {
  const saved = ["VOICE_CHAT_CACHE", "XDG_CACHE_HOME", "HOME"].map((k) => [k, Deno.env.get(k)] as const);
  try {
    Deno.env.delete("VOICE_CHAT_CACHE");
    Deno.env.delete("XDG_CACHE_HOME");
    Deno.env.set("HOME", "/home/u");
    assert.equal(machineCacheDir(), "/home/u/.cache/voice-chat");
    Deno.env.set("XDG_CACHE_HOME", "/xdg");
    assert.equal(machineCacheDir(), "/xdg/voice-chat");
    Deno.env.set("VOICE_CHAT_CACHE", "/ci/cache");
    assert.equal(machineCacheDir(), "/ci/cache");
  } finally {
    for (const [k, v] of saved) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  }
});

Deno.test("which finds executables on a given PATH only", async () => {
  assert.equal(await which("sh", "/bin"), "/bin/sh");
  assert.equal(await which("sh", "/nonexistent"), null);
});

Deno.test("the setup report lists left-out pieces with their fallback", () => {
  const text = formatReport([
    { name: "redis", status: "present", detail: "/usr/bin/redis-server" },
    { name: "livekit-server", status: "left-out", detail: "Go is not installed", fallback: "WebSocket transport" },
  ]);
  assert.match(text, /^setup: 1 piece\(s\) left out/);
  assert.match(text, /livekit-server\s+LEFT OUT\s+Go is not installed\n\s+fallback: WebSocket transport/);
});

Deno.test("setup --quick (the dev tasks) leaves out what only the tests need: Docker, debootstrap, the CosyVoice venv", () => {
  const quick = aptPackagesFor({ quick: true });
  const full = aptPackagesFor({ quick: false });
  for (const pkg of ["docker.io", "debootstrap"]) {
    assert.ok(full.includes(pkg), `${pkg} is installed for the tests`);
    assert.ok(!quick.includes(pkg), `${pkg} is not installed by the dev tasks`);
  }
  for (const pkg of ["redis-server", "caddy", "espeak-ng"]) {
    assert.ok(quick.includes(pkg), `the dev stack needs ${pkg}`);
  }
  const names = (quick: boolean) => domainScriptsFor({ quick }).map((s) => s.name);
  assert.ok(names(false).some((n) => n.startsWith("cosyvoice")));
  assert.ok(!names(true).some((n) => n.startsWith("cosyvoice")));
  assert.ok(names(true).includes("piper voice (joe)") && names(true).includes("whisper model"));
});
