/**
 * `deno task run-tts-mock`: a TTS worker serving the mock adapter (`mock-<N>hz` sine voices). Needs no model files
 * and no GPU: for demos, CPU-only setups and end-to-end tests. Configured like every worker (see
 * docs/CONFIGURATION.md); `ADAPTER_TYPE` is always `mock` here and `DEFAULT_MODEL` defaults to `mock-440hz`.
 *
 * @module
 */
import { runWorkerMain } from "../runtime/run_worker.ts";
import { MockAdapter } from "./mock_adapter.ts";

if (import.meta.main) {
  await runWorkerMain({
    adapterType: "mock",
    defaultModel: "mock-440hz",
    adapters: { mock: () => new MockAdapter() },
  });
}
