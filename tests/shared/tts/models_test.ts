import assert from "node:assert/strict";
import { ADAPTER_TYPES, adapterOfModel, MODEL_ID_PREFIX } from "../../../shared/tts/mod.ts";

Deno.test("every adapter family has a model-id prefix", () => {
  assert.deepEqual([...ADAPTER_TYPES].sort(), Object.keys(MODEL_ID_PREFIX).sort());
});

Deno.test("a model id belongs to the adapter of its prefix", () => {
  assert.equal(adapterOfModel("piper-en-us-joe-medium"), "piper");
  assert.equal(adapterOfModel("cosyvoice2-en-base"), "cosyvoice2");
  assert.equal(adapterOfModel("mock-440hz"), "mock");
  assert.equal(adapterOfModel("mock-"), undefined);
  assert.equal(adapterOfModel("kokoro-af"), undefined);
});
