/**
 * The CosyVoice adapter beyond the shared contract: errors that name the file of a missing or corrupt pack, and
 * streaming: the first audio is one token chunk, sent while the LLM is still decoding the rest.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ModelLoadError, ModelNotFoundError } from "../../../workers/runtime/adapter.ts";
import { CosyVoiceAdapter } from "../../../workers/cosyvoice/cosyvoice_adapter.ts";
import type { CosyVoiceModel } from "../../../workers/cosyvoice/cosyvoice_model.ts";
import { GRAPH_FILES, readVoicepack } from "../../../workers/cosyvoice/voicepack.ts";
import { pieces } from "../contract/tts_adapter_contract.ts";
import { MODEL_ID, PACK_DIR, requirePack, VOICEPACKS_DIR } from "./fixtures.ts";

const options = { device: "cpu" as const, intraOpThreads: 1, strict: true };

/** A VOICEPACKS_DIR whose `cosyvoice/broken` pack links every file of random-tiny except the ones `change` writes. */
async function withBrokenPack(change: (dir: string) => Promise<void>, body: (root: string) => Promise<void>) {
  const root = await Deno.makeTempDir({ prefix: "cosyvoice-packs-" });
  const dir = join(root, "cosyvoice", "broken");
  await Deno.mkdir(dir, { recursive: true });
  try {
    for await (const entry of Deno.readDir(PACK_DIR)) {
      if (entry.name !== ".voice-chat-requirements") {
        await Deno.symlink(join(PACK_DIR, entry.name), join(dir, entry.name));
      }
    }
    await change(dir);
    await body(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

async function replaceFile(dir: string, name: string, bytes: (original: Uint8Array) => Uint8Array) {
  const data = bytes(await Deno.readFile(join(dir, name)));
  await Deno.remove(join(dir, name));
  await Deno.writeFile(join(dir, name), data);
}

Deno.test("cosyvoice: a model without a voicepack is a ModelNotFoundError naming the folder", async () => {
  const root = await Deno.makeTempDir();
  try {
    const adapter = new CosyVoiceAdapter({ voicepacksDir: root, ...options });
    assert.deepEqual(await adapter.listModels(), []);
    await assert.rejects(adapter.load("cosyvoice2-en-base"), (e: Error) => {
      assert.ok(e instanceof ModelNotFoundError);
      assert.match(e.message, /no voicepack at .*cosyvoice\/en-base/);
      return true;
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("cosyvoice: a corrupt graph and a truncated file fail the load naming the file", async () => {
  await requirePack();
  const flip = (b: Uint8Array) => (b = Uint8Array.from(b), b[b.length >> 1] ^= 0xff, b);
  await withBrokenPack((dir) => replaceFile(dir, "hift_f0.onnx", flip), async (root) => {
    const adapter = new CosyVoiceAdapter({ voicepacksDir: root, ...options });
    await assert.rejects(adapter.load("cosyvoice2-broken"), (e: Error) => {
      assert.ok(e instanceof ModelLoadError);
      assert.match(e.message, /hift_f0\.onnx is corrupt \(sha256 differs/);
      return true;
    });
  });
  await withBrokenPack((dir) => replaceFile(dir, "voice_mel.f32", (b) => b.subarray(0, 100)), async (root) => {
    const adapter = new CosyVoiceAdapter({ voicepacksDir: root, ...options });
    await assert.rejects(adapter.load("cosyvoice2-broken"), /voice_mel\.f32 has 100 bytes, voicepack\.json says/);
  });
  await withBrokenPack((dir) => Deno.remove(join(dir, GRAPH_FILES[0])), async (root) => {
    const adapter = new CosyVoiceAdapter({ voicepacksDir: root, ...options });
    await assert.rejects(adapter.load("cosyvoice2-broken"), /llm\.onnx is missing/);
  });
});

Deno.test("cosyvoice: the first audio is the first token chunk, not the whole utterance", async () => {
  await requirePack();
  const pack = await readVoicepack(PACK_DIR, { verify: false });
  const adapter = new CosyVoiceAdapter({ voicepacksDir: VOICEPACKS_DIR, ...options });
  const model = await adapter.load(MODEL_ID);
  try {
    // Long enough for min_len (2 per text token) to pass the first chunk's 25 + pad + 3 tokens.
    const text = "This sentence is long enough that the speech tokens for it need more than one streaming chunk.";
    const sizes: number[] = [];
    for await (
      const chunk of model.synthesize(
        (async function* () {
          yield* pieces([text]);
        })(),
        {},
        new AbortController().signal,
      )
    ) {
      sizes.push(chunk.pcm.length);
    }
    const { token_hop, source_cache } = pack.manifest.stream;
    const prompt = pack.manifest.voice.prompt_speech_tokens.length;
    const firstHop = token_hop + Math.ceil(prompt / token_hop) * token_hop - prompt;
    const firstAt24k = firstHop * 2 * 480 - source_cache;
    const total = sizes.reduce((a, b) => a + b, 0);
    assert.ok(sizes.length >= 3, `several chunks: ${sizes}`);
    // The resampler holds back a few samples, so the first 48 kHz chunk is at most twice the 24 kHz chunk.
    assert.ok(sizes[0] <= 2 * firstAt24k && sizes[0] > 2 * firstAt24k - 200, `first chunk ${sizes[0]} samples`);
    assert.ok(sizes[0] < total / 2, `first ${sizes[0]} of ${total} samples`);
  } finally {
    await model.dispose();
  }
});

Deno.test("cosyvoice: the load-time warm-up runs every graph a streamed request uses, stream graphs included", async () => {
  await requirePack();
  const adapter = new CosyVoiceAdapter({ voicepacksDir: VOICEPACKS_DIR, ...options });
  const model = await adapter.load(MODEL_ID) as CosyVoiceModel;
  try {
    const { llm, flow, hift } = model.parts.sessions;
    const sessions = { llm, ...flow, ...hift };
    const runs = new Map<string, number>();
    for (const [name, session] of Object.entries(sessions)) {
      const run = session.run.bind(session);
      (session as { run: typeof run }).run = ((...args: Parameters<typeof run>) => {
        runs.set(name, (runs.get(name) ?? 0) + 1);
        return run(...args);
      }) as typeof run;
    }
    await model.warmup();
    // One streamed chunk: the stream encoder once and one estimator run per Euler step; then the last chunk.
    const steps = model.parts.pack.manifest.flow.steps;
    assert.deepEqual(Object.fromEntries([...runs].sort()), {
      decoder: 2,
      encoderFinal: 1,
      encoderStream: 1,
      estimatorFull: steps,
      estimatorStream: steps,
      f0: 2,
      llm: 2,
    });
  } finally {
    await model.dispose();
  }
});
