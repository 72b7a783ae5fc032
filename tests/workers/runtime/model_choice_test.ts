/**
 * A worker decides what it serves from its adapter's own catalogue (the real Piper catalogue over voicepack folders
 * made of the joe voice's files): the configured voice when installed, else the first installed voice, else the
 * mock adapter; `STRICT_CONFIG=true` refuses every fallback.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { MockAdapter } from "../../../workers/mock/mock_adapter.ts";
import { PiperAdapter } from "../../../workers/piper/piper_adapter.ts";
import { chooseModel, StrictModelError } from "../../../workers/runtime/model_choice.ts";
import { resolveRepoPath } from "../../../harness/sox.ts";

const JOE_DIR = resolveRepoPath("voicepacks/piper/en-us-joe-medium");

/** A voicepacks folder whose Piper voices are the joe voice's files under other names. */
function voicepacks(voices: string[], extra: (root: string) => void = () => {}): string {
  const root = Deno.makeTempDirSync({ prefix: "voicepacks-" });
  for (const voice of voices) {
    const dir = join(root, "piper", voice);
    Deno.mkdirSync(dir, { recursive: true });
    Deno.symlinkSync(join(JOE_DIR, "en_US-joe-medium.onnx"), join(dir, `${voice}.onnx`));
    Deno.symlinkSync(join(JOE_DIR, "en_US-joe-medium.onnx.json"), join(dir, `${voice}.onnx.json`));
  }
  extra(root);
  return root;
}

async function choose(
  root: string,
  defaultModel = "piper-en-us-lessac-medium",
  strict = false,
  preload: string[] = [],
) {
  return await chooseModel(
    {
      adapterType: "piper",
      defaultModel,
      preload,
      strict,
      fetchHint: (id) => `run \`deno task voices:fetch ${id}\``,
    },
    new PiperAdapter({ voicepacksDir: root, device: "cpu", intraOpThreads: 1 }),
    () => new MockAdapter(),
  );
}

Deno.test("an installed voice is served as configured, without a fallback", async () => {
  const root = voicepacks(["en-us-lessac-medium", "en-us-joe-medium"]);
  try {
    const choice = await choose(root, "piper-en-us-lessac-medium", false, ["piper-en-us-joe-medium", "piper-x"]);
    assert.equal(choice.adapter.type, "piper");
    assert.equal(choice.defaultModel, "piper-en-us-lessac-medium");
    assert.deepEqual(choice.preload, ["piper-en-us-joe-medium"]);
    assert.equal(choice.fallback, undefined);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("a missing voice falls back to the first installed one and says how to fetch it", async () => {
  const root = voicepacks(["en-us-ryan-high", "en-us-joe-medium"]);
  try {
    const choice = await choose(root);
    assert.equal(choice.adapter.type, "piper");
    assert.equal(choice.defaultModel, "piper-en-us-joe-medium");
    assert.match(choice.fallback ?? "", /voicepack not found for piper-en-us-lessac-medium/);
    assert.match(choice.fallback ?? "", /deno task voices:fetch piper-en-us-lessac-medium/);
    assert.match(choice.fallback ?? "", /falling back to piper-en-us-joe-medium/);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("an .onnx without its .onnx.json is not in the catalogue: with nothing else the mock is served", async () => {
  const root = voicepacks([], (r) => {
    Deno.mkdirSync(join(r, "piper", "en-us-lessac-medium"), { recursive: true });
    Deno.symlinkSync(join(JOE_DIR, "en_US-joe-medium.onnx"), join(r, "piper", "en-us-lessac-medium", "x.onnx"));
  });
  try {
    const choice = await choose(root);
    assert.equal(choice.adapter.type, "mock");
    assert.equal(choice.defaultModel, "mock-440hz");
    assert.deepEqual(choice.preload, []);
    assert.match(choice.fallback ?? "", /falling back to the mock adapter with mock-440hz/);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("a family without an adapter in this build is served by the mock adapter, and says so", async () => {
  const choice = await chooseModel(
    { adapterType: "cosyvoice2", defaultModel: "cosyvoice2-en-base", preload: ["cosyvoice2-en-base"], strict: false },
    null,
    () => new MockAdapter(),
  );
  assert.equal(choice.adapter.type, "mock");
  assert.equal(choice.defaultModel, "mock-440hz");
  assert.match(choice.fallback ?? "", /no cosyvoice2 adapter in this build/);
});

Deno.test("STRICT_CONFIG=true makes a missing voice a startup error naming it", async () => {
  const root = voicepacks(["en-us-joe-medium"]);
  try {
    await assert.rejects(choose(root, "piper-en-us-lessac-medium", true), (error: Error) => {
      assert.ok(error instanceof StrictModelError);
      assert.match(error.message, /DEFAULT_MODEL=piper-en-us-lessac-medium: voicepack not found/);
      assert.match(error.message, /voices:fetch piper-en-us-lessac-medium/);
      assert.match(error.message, /STRICT_CONFIG=true forbids the fallback/);
      return true;
    });
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("a model a fixed catalogue does not have is an error, not a fallback", async () => {
  await assert.rejects(
    chooseModel(
      { adapterType: "mock", defaultModel: "mock-5hz", preload: [], strict: false },
      new MockAdapter(),
      () => new MockAdapter(),
    ),
    /DEFAULT_MODEL=mock-5hz is not a mock model; the catalogue has mock-/,
  );
});
