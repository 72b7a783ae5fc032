import { ttsAdapterContract } from "../contract/tts_adapter_contract.ts";
import { MockAdapter } from "../../../workers/mock/mock_adapter.ts";

ttsAdapterContract(
  "mock",
  () => Promise.resolve({ adapter: new MockAdapter(), modelId: "mock-440hz", cleanup: async () => {} }),
);
