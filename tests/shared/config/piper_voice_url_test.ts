import assert from "node:assert/strict";
import { DEFAULT_PIPER_VOICE_URL_TEMPLATE, parsePiperModelId, piperVoiceUrl } from "../../../shared/config/mod.ts";

Deno.test("a piper model id maps onto the piper-voices layout", () => {
  const voice = parsePiperModelId("piper-en-us-lessac-medium");
  assert.deepEqual(voice, { langFamily: "en", langCode: "en_US", name: "lessac", quality: "medium" });
  assert.equal(
    piperVoiceUrl(DEFAULT_PIPER_VOICE_URL_TEMPLATE, voice!, ".onnx"),
    "https://huggingface.co/rhasspy/piper-voices/resolve/main/en/en_US/lessac/medium/en_US-lessac-medium.onnx",
  );
  assert.match(
    piperVoiceUrl(DEFAULT_PIPER_VOICE_URL_TEMPLATE, voice!, ".onnx.json"),
    /en_US-lessac-medium\.onnx\.json$/,
  );
});

Deno.test("voice names with underscores and x_low quality survive the mapping", () => {
  assert.deepEqual(parsePiperModelId("piper-en-gb-northern_english_male-x_low"), {
    langFamily: "en",
    langCode: "en_GB",
    name: "northern_english_male",
    quality: "x_low",
  });
});

Deno.test("ids that are not piper voices are rejected", () => {
  for (const id of ["mock-440hz", "piper-lessac", "piper-en-us-lessac-ultra", "piper-english-us-x-medium"]) {
    assert.equal(parsePiperModelId(id), undefined, id);
  }
});
