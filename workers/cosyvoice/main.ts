/**
 * `deno task run-tts-cosyvoice`: the CosyVoice 2 worker (`ADAPTER_TYPE` is always `cosyvoice2` here, `DEFAULT_MODEL`
 * defaults to `cosyvoice2-en-base`). It serves the voicepacks under `VOICEPACKS_DIR/cosyvoice/` on onnxruntime-node
 * (`COSYVOICE_DEVICE`, `COSYVOICE_INTRA_OP_THREADS`, `COSYVOICE_SEED`). When the catalogue lacks `DEFAULT_MODEL` the
 * worker warns "voicepack not found" and serves the first installed pack, else the mock adapter with `mock-440hz`
 * (see `workers/runtime/model_choice.ts`); `STRICT_CONFIG=true` makes that, and a CUDA provider that fails to load,
 * a startup error.
 *
 * @module
 */
import { runWorkerMain } from "../runtime/run_worker.ts";
import { MockAdapter } from "../mock/mock_adapter.ts";
import { CosyVoiceAdapter, cosyvoiceRoot } from "./cosyvoice_adapter.ts";
import { checkCudaProvider } from "./onnx_session.ts";

if (import.meta.main) {
  await runWorkerMain({
    adapterType: "cosyvoice2",
    defaultModel: "cosyvoice2-en-base",
    adapters: {
      mock: () => new MockAdapter(),
      cosyvoice2: async (config) => {
        if (config.COSYVOICE_DEVICE === "cuda" && config.STRICT_CONFIG) {
          // Under STRICT_CONFIG a CUDA provider that cannot load stops the worker here (exit 1), naming the library.
          const name = config.DEFAULT_MODEL.slice("cosyvoice2-".length);
          await checkCudaProvider(`${cosyvoiceRoot(config.VOICEPACKS_DIR)}/${name}/hift_f0.onnx`, 1);
        }
        return new CosyVoiceAdapter({
          voicepacksDir: config.VOICEPACKS_DIR,
          device: config.COSYVOICE_DEVICE,
          intraOpThreads: config.COSYVOICE_INTRA_OP_THREADS,
          strict: config.STRICT_CONFIG,
          seed: config.COSYVOICE_SEED,
        });
      },
    },
    fetchHint: (modelId) =>
      `export it with \`deno task cosyvoice:export … --out voicepacks/cosyvoice/${
        modelId.slice("cosyvoice2-".length)
      }\` (docs/COSYVOICE.md)`,
  });
}
