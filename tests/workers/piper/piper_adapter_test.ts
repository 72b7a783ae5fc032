/**
 * The Piper adapter with the real joe voice: plausible speech (duration for the words, not silence, spans in order)
 * and clear errors or catalogue exclusion for broken voicepacks (missing folder, corrupt .onnx, bad .onnx.json).
 */
import assert from "node:assert/strict";
import { WIRE_SAMPLE_RATE } from "../../../shared/audio/format.ts";
import { ModelLoadError, ModelNotFoundError } from "../../../workers/runtime/adapter.ts";
import { PiperAdapter } from "../../../workers/piper/piper_adapter.ts";
import { JOE_ONNX, loadJoe, oneText, requireJoeVoice, rms } from "./piper_fixtures.ts";

const TEXT = "Hello there. How can I help you today? The weather is lovely this afternoon.";

Deno.test("piper speaks a text for a plausible duration, audibly, with spans in text order", async () => {
  const { model } = await loadJoe();
  try {
    const chunks = [];
    for await (const c of model.synthesize(oneText(TEXT), {}, new AbortController().signal)) chunks.push(c);
    const pcm = new Int16Array(chunks.reduce((n, c) => n + c.pcm.length, 0));
    let offset = 0;
    for (const c of chunks) (pcm.set(c.pcm, offset), offset += c.pcm.length);
    const seconds = pcm.length / WIRE_SAMPLE_RATE;
    const words = TEXT.split(/\s+/).length;
    const wpm = words / (seconds / 60);
    assert.ok(wpm > 80 && wpm < 300, `${words} words in ${seconds.toFixed(2)} s = ${wpm.toFixed(0)} words per minute`);
    assert.ok(rms(pcm) > 0.02, `RMS ${rms(pcm).toFixed(4)} is near silence`);
    assert.ok(chunks.length >= 3, `${chunks.length} chunks: one per span, not one for the whole text`);
    for (let i = 1; i < chunks.length; i++) assert.ok(chunks[i].textStart >= chunks[i - 1].textStart);
    assert.equal(chunks[0].textStart, 0);
    assert.equal(chunks.at(-1)!.textEnd, TEXT.length);
    assert.ok(model.rtf() > 0 && model.rtf() < 5, `rtf ${model.rtf()}`);
  } finally {
    await model.dispose();
  }
});

async function withVoicepacks(body: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "piper-voicepacks-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function addVoice(root: string, folder: string, files: Record<string, Uint8Array | string>) {
  const dir = `${root}/piper/${folder}`;
  await Deno.mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    if (typeof content === "string") await Deno.writeTextFile(`${dir}/${name}`, content);
    else await Deno.writeFile(`${dir}/${name}`, content);
  }
}

Deno.test("a missing voice folder is a ModelNotFoundError that names voices:fetch", async () => {
  await withVoicepacks(async (root) => {
    const adapter = new PiperAdapter({ voicepacksDir: root, device: "cpu", intraOpThreads: 1 });
    assert.deepEqual(await adapter.listModels(), []);
    await assert.rejects(adapter.load("piper-en-us-lessac-medium"), (e: Error) => {
      assert.ok(e instanceof ModelNotFoundError);
      assert.match(e.message, /no voice folder .*voices:fetch piper-en-us-lessac-medium/);
      return true;
    });
    await assert.rejects(adapter.load("mock-440hz"), ModelNotFoundError);
  });
});

Deno.test("a corrupt .onnx is a ModelLoadError naming the file; a bad .onnx.json keeps the voice out of the catalogue", async () => {
  await requireJoeVoice();
  const config = await Deno.readTextFile(`${JOE_ONNX}.json`);
  await withVoicepacks(async (root) => {
    await addVoice(root, "en-us-broken-medium", { "v.onnx": new Uint8Array(1000).fill(7), "v.onnx.json": config });
    await addVoice(root, "en-us-badjson-medium", { "v.onnx": new Uint8Array(10), "v.onnx.json": "{ not json" });
    const noMap = JSON.parse(config);
    delete noMap.phoneme_id_map;
    await addVoice(root, "en-us-nomap-medium", { "v.onnx": new Uint8Array(10), "v.onnx.json": JSON.stringify(noMap) });
    await addVoice(root, "en-us-half-medium", { "v.onnx": new Uint8Array(10) });
    const adapter = new PiperAdapter({ voicepacksDir: root, device: "cpu", intraOpThreads: 1 });

    assert.deepEqual((await adapter.listModels()).map((m) => m.id), ["piper-en-us-broken-medium"]);
    await assert.rejects(adapter.load("piper-en-us-broken-medium"), (e: Error) => {
      assert.ok(e instanceof ModelLoadError, String(e));
      assert.match(e.message, /failed to load: .*v\.onnx/);
      return true;
    });
    await assert.rejects(adapter.load("piper-en-us-badjson-medium"), /bad Piper voice config .*not valid JSON/);
    await assert.rejects(adapter.load("piper-en-us-nomap-medium"), /phoneme_id_map/);
    await assert.rejects(adapter.load("piper-en-us-half-medium"), /has v\.onnx but not v\.onnx\.json/);
  });
});

Deno.test("PIPER_DEVICE=cuda without a usable CUDA provider runs on the CPU", async () => {
  await requireJoeVoice();
  const root = JOE_ONNX.slice(0, JOE_ONNX.indexOf("/piper/"));
  const adapter = new PiperAdapter({ voicepacksDir: root, device: "cuda", intraOpThreads: 1 });
  const model = await adapter.load("piper-en-us-joe-medium");
  try {
    assert.equal(adapter.device, "cpu");
    let samples = 0;
    for await (const c of model.synthesize(oneText("Still speaking."), {}, new AbortController().signal)) {
      samples += c.pcm.length;
    }
    assert.ok(samples > WIRE_SAMPLE_RATE / 2);
  } finally {
    await model.dispose();
  }
});
