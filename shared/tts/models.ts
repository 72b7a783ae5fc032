/**
 * The TTS vocabulary shared by workers, the orchestrator and configuration: the adapter families and how a model
 * id names its family. The one home of this table (the worker's adapter contract re-exports it).
 *
 * @module
 */

/** The TTS adapter families, as `ADAPTER_TYPE` names them. */
export const ADAPTER_TYPES = ["piper", "cosyvoice2", "mock"] as const;
/** One TTS adapter family, as named by `ADAPTER_TYPE` and by the model id prefix. */
export type AdapterType = (typeof ADAPTER_TYPES)[number];

/** The model-id prefix of each adapter family (`piper-en-us-lessac-medium`, `mock-440hz`, `cosyvoice2-en-base`). */
export const MODEL_ID_PREFIX: Record<AdapterType, string> = {
  piper: "piper-",
  cosyvoice2: "cosyvoice2-",
  mock: "mock-",
};

/** The adapter a model id belongs to, by prefix; `undefined` for an id with no known prefix. */
export function adapterOfModel(modelId: string): AdapterType | undefined {
  return ADAPTER_TYPES.find((a) =>
    modelId.startsWith(MODEL_ID_PREFIX[a]) && modelId.length > MODEL_ID_PREFIX[a].length
  );
}

/** The model the worker falls back to when no voicepack of its own adapter is installed. */
export const FALLBACK_MOCK_MODEL = "mock-440hz";
