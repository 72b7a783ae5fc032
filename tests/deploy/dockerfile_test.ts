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
  assert.ok(lines.includes("FROM denoland/deno:debian-${DENO_VERSION}"));
  const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));
  const user = at("USER ");
  assert.ok(user >= 0 && !/USER (root|0)\b/.test(lines[user]), "switches to a non-root user");
  const copyManifests = at("COPY --chown=deno:deno deno.json deno.lock");
  const install = at("RUN deno install --frozen");
  const copyAll = at("COPY --chown=deno:deno . .");
  assert.ok(user < copyManifests && copyManifests < install && install < copyAll, "manifests, install, then sources");
  assert.ok(!lines.some((l) => l.includes("--allow-scripts")), "no npm install scripts in the CPU image");
});

Deno.test("the CosyVoice image has CUDA with cuDNN, Deno from denoland/deno:bin and fetches ORT's CUDA provider", async () => {
  const lines = await instructions("docker/cosyvoice.Dockerfile");
  const version = await pinnedDenoVersion();
  assert.ok(lines.includes(`ARG DENO_VERSION=${version}`));
  assert.ok(lines.some((l) => /^ARG CUDA_IMAGE=nvidia\/cuda:12\.\d+\.\d+-cudnn-runtime-/.test(l)), "CUDA 12 + cuDNN");
  assert.ok(lines.includes("FROM denoland/deno:bin-${DENO_VERSION} AS deno"));
  assert.ok(lines.includes("COPY --from=deno /deno /usr/local/bin/deno"));
  const install = lines.find((l) => l.includes("deno install --frozen")) ?? "";
  assert.match(install, /ONNXRUNTIME_NODE_INSTALL=cuda12 deno install --frozen --allow-scripts=npm:onnxruntime-node/);
  assert.match(install, /libonnxruntime_providers_cuda\.so/, "the build fails when the provider did not arrive");
  const user = lines.find((l) => l.startsWith("USER ")) ?? "";
  assert.match(user, /^USER deno$/);
});

Deno.test(".dockerignore keeps secrets, installed dependencies and local state out of the build context", async () => {
  const entries = (await read(".dockerignore")).split("\n").map((l) => l.trim());
  for (const entry of [".git", ".env", "node_modules", ".tools", ".cache", "logs", "voicepacks", "models"]) {
    assert.ok(entries.includes(entry), `${entry} is ignored`);
  }
});
