import assert from "node:assert/strict";
import { OnnxFormatError, readOnnxMetadata } from "../../../../orchestrator/asr/whisper/onnx_metadata.ts";
import { locateModel, readModelInfo } from "../../../../orchestrator/asr/whisper/model_info.ts";
import { MODELS_DIR, requireTinyEn } from "../../../../harness/whisper_fixtures.ts";

Deno.test("encoder metadata is read without loading the graph and gives tiny.en's dims and ids", async () => {
  await requireTinyEn();
  const files = await locateModel(MODELS_DIR, "tiny", "en");
  assert.equal(files.name, "tiny.en");
  const info = await readModelInfo(files);
  assert.equal(info.nMels, 80);
  assert.equal(info.nTextLayer, 4);
  assert.equal(info.nVocab, 51864);
  assert.equal(info.isMultilingual, false);
  assert.equal(info.eot, 50256);
  assert.equal(info.noTimestamps, 50362);
  assert.ok(info.suppressed.includes(info.noSpeech) && info.suppressed.includes(info.sot));
  assert.equal(info.variableFrames, true);
  const int8 = await locateModel(MODELS_DIR, "tiny", "en", { int8: true });
  assert.match(int8.encoder, /encoder\.int8\.onnx$/);
});

Deno.test("a file that is not ONNX, or is cut short, is refused with the file named", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a.onnx`, "{ this is json }");
    await assert.rejects(
      readOnnxMetadata(`${dir}/a.onnx`),
      (e) => e instanceof OnnxFormatError && e.message.includes(dir),
    );
    await Deno.writeFile(`${dir}/b.onnx`, Uint8Array.of(0x3a, 0x80, 0x80, 0x04, 1, 2, 3)); // field 7, 65536 bytes: cut
    await assert.rejects(readOnnxMetadata(`${dir}/b.onnx`), /truncated/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
