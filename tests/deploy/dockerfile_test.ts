import assert from "node:assert/strict";

const REPO = new URL("../../", import.meta.url).pathname;
const read = (path: string) => Deno.readTextFile(`${REPO}${path}`);

/** Instructions of a Dockerfile with line continuations joined and comments dropped. */
async function instructions(path: string): Promise<string[]> {
  const text = (await read(path)).replace(/\\\n/g, " ");
  return text.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
}

async function pinnedDenoVersion(): Promise<string> {
  const pkg = JSON.parse(await read(".tools/package.json"));
  return pkg.devDependencies.deno;
}

Deno.test("the Deno image is pinned to the project's Deno, runs as non-root and caches dependencies in a layer", async () => {
  const lines = await instructions("docker/deno.Dockerfile");
  const version = await pinnedDenoVersion();
  assert.ok(lines.includes(`ARG DENO_VERSION=${version}`), `pinned to Deno ${version}, the version .tools installs`);
  assert.ok(lines.includes("FROM denoland/deno:debian-${DENO_VERSION} AS base"));
  const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));
  // The image carries the assets compose's `assets` service copies into volumes.
  for (const asset of ["/app/models /opt/voice-chat/models", "/app/voicepacks /opt/voice-chat/voicepacks"]) {
    assert.ok(lines.some((l) => l.startsWith("COPY --from=assets") && l.includes(asset)), asset);
  }
  const user = at("USER ");
  assert.ok(user >= 0 && !/USER (root|0)\b/.test(lines[user]), "switches to a non-root user");
  const copyManifests = at("COPY --chown=deno:deno deno.json deno.lock");
  const install = at("RUN deno install --frozen");
  const copyAll = at("COPY --chown=deno:deno . .");
  assert.ok(user < copyManifests && copyManifests < install && install < copyAll, "manifests, install, then sources");
  assert.ok(!lines.some((l) => l.includes("--allow-scripts")), "no npm install scripts in the CPU image");
});

Deno.test("the CosyVoice image has CUDA with cuDNN, Deno from denoland/deno:bin and ORT's CUDA provider from PyPI", async () => {
  const lines = await instructions("docker/cosyvoice.Dockerfile");
  const version = await pinnedDenoVersion();
  assert.ok(lines.includes(`ARG DENO_VERSION=${version}`));
  assert.ok(lines.some((l) => /^ARG CUDA_IMAGE=nvidia\/cuda:12\.\d+\.\d+-cudnn-runtime-/.test(l)), "CUDA 12 + cuDNN");
  assert.ok(lines.includes("FROM denoland/deno:bin-${DENO_VERSION} AS deno"));
  assert.ok(lines.includes("COPY --from=deno /deno /usr/local/bin/deno"));
  // The provider must match onnxruntime-node exactly: the ARG follows deno.lock.
  const lock = JSON.parse(await read("deno.lock"));
  const ort = lock.specifiers["npm:onnxruntime-node@^1.30.0"] ??
    Object.keys(lock.npm).find((k) => k.startsWith("onnxruntime-node@"))?.split("@")[1];
  assert.ok(lines.includes(`ARG ORT_VERSION=${ort}`), `ORT_VERSION follows deno.lock's onnxruntime-node ${ort}`);
  const fetch = lines.find((l) => l.includes("pip download")) ?? "";
  assert.match(fetch, /onnxruntime-gpu==\$\{ORT_VERSION\}/);
  assert.match(fetch, /libonnxruntime_providers_cuda\.so/);
  assert.ok(lines.some((l) => l.startsWith("COPY --from=ort-cuda") && l.includes("${ORT_NODE_DIR}/")));
  const check = lines.find((l) => l.includes("onnxruntime_binding.node")) ?? "";
  assert.match(check, /ls -l .*libonnxruntime_providers_cuda\.so/, "the build fails when the provider is not in place");
  assert.ok(!lines.some((l) => l.includes("--allow-scripts")), "no npm install script fetches from elsewhere");
  const user = lines.find((l) => l.startsWith("USER ")) ?? "";
  assert.match(user, /^USER deno$/);
});

Deno.test("no Dockerfile asks for a BuildKit frontend image (none can be pulled where images are built locally)", async () => {
  for (const file of ["docker/deno.Dockerfile", "docker/cosyvoice.Dockerfile"]) {
    assert.doesNotMatch(await read(file), /^# syntax=/m, file);
  }
});

Deno.test(".dockerignore keeps secrets, installed dependencies and local state out of the build context", async () => {
  const entries = (await read(".dockerignore")).split("\n").map((l) => l.trim());
  for (const entry of [".git", ".env", "node_modules", ".tools", ".cache", "logs", "voicepacks", "models"]) {
    assert.ok(entries.includes(entry), `${entry} is ignored`);
  }
});
