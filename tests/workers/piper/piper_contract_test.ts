/** The shared TTS adapter contract, run against the Piper adapter with the real joe voice. */
import { ttsAdapterContract } from "../contract/tts_adapter_contract.ts";
import { PiperAdapter } from "../../../workers/piper/piper_adapter.ts";
import { JOE_MODEL_ID, requireJoeVoice, VOICEPACKS_DIR } from "./piper_fixtures.ts";

ttsAdapterContract("piper", async () => {
  await requireJoeVoice();
  return {
    adapter: new PiperAdapter({ voicepacksDir: VOICEPACKS_DIR, device: "cpu", intraOpThreads: 1 }),
    modelId: JOE_MODEL_ID,
    cleanup: () => Promise.resolve(),
  };
});
