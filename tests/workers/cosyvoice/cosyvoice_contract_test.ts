/** The shared TTS adapter contract, run against the CosyVoice adapter on the random-tiny voicepack. */
import { CosyVoiceAdapter } from "../../../workers/cosyvoice/cosyvoice_adapter.ts";
import { ttsAdapterContract } from "../contract/tts_adapter_contract.ts";
import { MODEL_ID, requirePack, VOICEPACKS_DIR } from "./fixtures.ts";

ttsAdapterContract("cosyvoice2", async () => {
  await requirePack();
  return {
    adapter: new CosyVoiceAdapter({ voicepacksDir: VOICEPACKS_DIR, device: "cpu", intraOpThreads: 1, strict: true }),
    modelId: MODEL_ID,
    cleanup: async () => {},
  };
});
