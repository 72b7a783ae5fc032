/**
 * `deno task run-tts-cosyvoice`: the CosyVoice 2 worker entry point (`ADAPTER_TYPE` is always `cosyvoice2` here,
 * `DEFAULT_MODEL` defaults to `cosyvoice2-en-base`).
 *
 * This build has no CosyVoice adapter yet: the worker warns "no cosyvoice2 adapter in this build" and serves the
 * mock adapter with `mock-440hz` (see `workers/runtime/model_choice.ts`), so a CPU-only setup still gets a working
 * voice path; `STRICT_CONFIG=true` turns the fallback into a startup error.
 *
 * @module
 */
import { runWorkerMain } from "../runtime/run_worker.ts";
import { MockAdapter } from "../mock/mock_adapter.ts";

if (import.meta.main) {
  await runWorkerMain({
    adapterType: "cosyvoice2",
    defaultModel: "cosyvoice2-en-base",
    adapters: { mock: () => new MockAdapter() },
  });
}
