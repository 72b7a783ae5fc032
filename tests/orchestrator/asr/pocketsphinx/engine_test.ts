import assert from "node:assert/strict";
import {
  createPocketsphinxEngine,
  PocketsphinxUnavailableError,
} from "../../../../orchestrator/asr/pocketsphinx/mod.ts";
import { chunked, speak, type Voice } from "../../../../harness/speech.ts";
import { wordErrorRate } from "../../../../harness/wer.ts";

const TEXT = "I would like to book a table for two people tonight.";

Deno.test("pocketsphinx understands flite slt and the Piper voice too (WER <= 0.2)", async () => {
  const engine = await createPocketsphinxEngine();
  try {
    for (const voice of ["flite-slt", "piper-joe"] as Voice[]) {
      const { samples } = await speak({ text: TEXT, voice });
      const got = await engine.transcribe(samples);
      assert.ok(wordErrorRate(TEXT, got.text) <= 0.2, `${voice}: "${got.text}"`);
      assert.ok(got.confidence > 0.3, `${voice}: confidence ${got.confidence} for a clean sentence`);
    }
  } finally {
    await engine.dispose();
  }
});

Deno.test("a missing model folder is reported with every missing file and the package to install", async () => {
  await assert.rejects(
    createPocketsphinxEngine({ modelDir: "/nonexistent/en-us" }),
    (err: unknown) =>
      err instanceof PocketsphinxUnavailableError && /\/nonexistent\/en-us\/en-us\.lm\.bin/.test(err.message) &&
      /cmudict-en-us\.dict/.test(err.message) && /pocketsphinx-en-us/.test(err.message),
  );
});

Deno.test("bad engine options are refused with the option named", async () => {
  await assert.rejects(createPocketsphinxEngine({ partialIntervalMs: 0 }), /partialIntervalMs/);
  await assert.rejects(createPocketsphinxEngine({ maxDecoders: 0 }), /maxDecoders/);
});

Deno.test("more utterances than decoders wait their turn and still come out right", async () => {
  const engine = await createPocketsphinxEngine({ maxDecoders: 1 });
  try {
    const texts = [TEXT, "Please turn off the lights in the kitchen when you leave."];
    const audio = await Promise.all(texts.map((text) => speak({ text })));
    const utterances = audio.map(() => engine.startUtterance());
    audio.forEach(({ samples }, i) => {
      for (const chunk of chunked(samples, 3200)) utterances[i].push(chunk);
    });
    const finals = await Promise.all(utterances.map((u) => u.finish()));
    finals.forEach((got, i) => assert.ok(wordErrorRate(texts[i], got.text) <= 0.2, `"${got.text}"`));
  } finally {
    await engine.dispose();
  }
});

Deno.test("misuse of an utterance is refused clearly: push after finish, finish twice", async () => {
  const engine = await createPocketsphinxEngine();
  try {
    const utterance = engine.startUtterance();
    utterance.push(new Float32Array(1600));
    await utterance.finish();
    assert.throws(() => utterance.push(new Float32Array(160)), /push after finish/);
    await assert.rejects(utterance.finish(), /finish called twice/);
  } finally {
    await engine.dispose();
  }
});

Deno.test("a language other than English is ignored, not an error", async () => {
  const engine = await createPocketsphinxEngine();
  try {
    assert.deepEqual(engine.languages, ["en"]);
    const got = await engine.transcribe((await speak({ text: TEXT })).samples, { language: "de" });
    assert.equal(got.language, "en");
    assert.ok(wordErrorRate(TEXT, got.text) <= 0.2, got.text);
  } finally {
    await engine.dispose();
  }
});

Deno.test("dispose cancels utterances left open and refuses new ones", async () => {
  const engine = await createPocketsphinxEngine();
  const open = engine.startUtterance();
  open.push((await speak({ text: TEXT })).samples);
  await engine.dispose();
  await assert.rejects(open.finish(), /cancelled/);
  assert.throws(() => engine.startUtterance(), /disposed/);
});
