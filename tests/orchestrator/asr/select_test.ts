import assert from "node:assert/strict";
import { createPocketsphinxEngine, PocketsphinxUnavailableError } from "../../../orchestrator/asr/pocketsphinx/mod.ts";
import {
  type AsrSelectConfig,
  AsrUnavailableError,
  DEFAULT_ASR_FACTORIES,
  selectAsrEngine,
} from "../../../orchestrator/asr/select.ts";
import { orchestratorConfigSchema } from "../../../shared/config/orchestrator.ts";
import { speak } from "../../../harness/speech.ts";
import { resolveRepoPath } from "../../../harness/sox.ts";
import { wordErrorRate } from "../../../harness/wer.ts";

const MODELS_DIR = resolveRepoPath("models/whisper");
const TEXT = "Please turn off the lights in the kitchen when you leave.";

/** A config as the orchestrator would load it from this environment (real schema, real defaults). */
function config(env: Record<string, string>): AsrSelectConfig {
  return orchestratorConfigSchema.parse({ ASR_DEVICE: "cpu", ASR_MODELS_DIR: MODELS_DIR, ...env });
}

async function heard(selection: { engine: { transcribe(s: Float32Array): Promise<{ text: string }> } }) {
  return (await selection.engine.transcribe((await speak({ text: TEXT })).samples)).text;
}

Deno.test("ASR_ENGINE=pocketsphinx loads pocketsphinx", async () => {
  const selection = await selectAsrEngine(config({ ASR_ENGINE: "pocketsphinx" }));
  try {
    assert.equal(selection.engine.name, "pocketsphinx-en-us");
    assert.equal(selection.fallbackReason, null);
    assert.ok(wordErrorRate(TEXT, await heard(selection)) <= 0.25);
  } finally {
    await selection.engine.dispose();
  }
});

Deno.test("ASR_ENGINE=whisper loads Whisper when the model is there", async () => {
  const selection = await selectAsrEngine(config({ ASR_ENGINE: "whisper" })).catch((err) => {
    throw new Error(`${err.message}\n(the tiny.en model is built by \`deno task setup\`)`);
  });
  try {
    assert.match(selection.engine.name, /^whisper-tiny/);
    assert.equal(selection.fallbackReason, null);
    assert.ok(wordErrorRate(TEXT, await heard(selection)) <= 0.25);
  } finally {
    await selection.engine.dispose();
  }
});

Deno.test("ASR_ENGINE=whisper without model files falls back to pocketsphinx, saying what is missing", async () => {
  const empty = await Deno.makeTempDir();
  try {
    const selection = await selectAsrEngine(config({ ASR_ENGINE: "whisper", ASR_MODELS_DIR: empty }));
    try {
      assert.equal(selection.engine.name, "pocketsphinx-en-us");
      assert.ok(selection.fallbackReason?.includes(`${empty}/tiny.en`), selection.fallbackReason ?? "no reason");
      assert.match(selection.fallbackReason!, /models:fetch whisper-tiny|deno task setup/);
      assert.ok(wordErrorRate(TEXT, await heard(selection)) <= 0.25, "the fallback really transcribes");
    } finally {
      await selection.engine.dispose();
    }
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});

Deno.test("without any usable engine the error names the reason for each", async () => {
  const empty = await Deno.makeTempDir();
  const noPocketsphinx = {
    ...DEFAULT_ASR_FACTORIES,
    pocketsphinx: () => createPocketsphinxEngine({ modelDir: `${empty}/en-us` }),
  };
  try {
    await assert.rejects(
      selectAsrEngine(config({ ASR_ENGINE: "whisper", ASR_MODELS_DIR: empty }), noPocketsphinx),
      (err: unknown) =>
        err instanceof AsrUnavailableError && /Whisper: .*tiny/.test(err.message) &&
        /Pocketsphinx: .*pocketsphinx-en-us/.test(err.message),
    );
    await assert.rejects(
      selectAsrEngine(config({ ASR_ENGINE: "pocketsphinx" }), noPocketsphinx),
      PocketsphinxUnavailableError,
    );
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});
