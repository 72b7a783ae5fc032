/**
 * `deno task run-tts-piper`: the Piper TTS worker. Default model `piper-en-us-lessac-medium`; when the Piper
 * catalogue does not have it the worker warns (naming `deno task voices:fetch`) and serves the first installed Piper
 * voice, or the mock adapter when there is none (see `workers/runtime/model_choice.ts`).
 *
 * @module
 */
import { runWorkerMain } from "../runtime/run_worker.ts";
import { MockAdapter } from "../mock/mock_adapter.ts";
import { PiperAdapter } from "./piper_adapter.ts";

/** The voice this worker serves unless `DEFAULT_MODEL` names another Piper voice. */
export const PIPER_DEFAULT_MODEL = "piper-en-us-lessac-medium";

if (import.meta.main) {
  await runWorkerMain({
    adapterType: "piper",
    defaultModel: PIPER_DEFAULT_MODEL,
    adapters: {
      piper: (config) =>
        new PiperAdapter({
          voicepacksDir: config.VOICEPACKS_DIR,
          device: config.PIPER_DEVICE,
          intraOpThreads: config.PIPER_INTRA_OP_THREADS,
          strict: config.STRICT_CONFIG,
        }),
      mock: () => new MockAdapter(),
    },
    fetchHint: (modelId) => `run \`deno task voices:fetch ${modelId}\``,
  });
}
