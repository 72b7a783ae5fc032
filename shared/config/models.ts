/**
 * Adapter families and model ids as configuration sees them. Mirrors `MODEL_ID_PREFIX` in
 * `workers/runtime/adapter.ts` (a test keeps the two equal) so that `shared/` does not depend on `workers/`.
 *
 * @module
 */

/** The TTS adapter families, as `ADAPTER_TYPE` names them. */
export const ADAPTER_TYPES = ["piper", "cosyvoice2", "mock"] as const;
/** One TTS adapter family. */
export type AdapterTypeName = (typeof ADAPTER_TYPES)[number];

/** The model-id prefix of each adapter family. */
export const MODEL_PREFIX: Record<AdapterTypeName, string> = {
  piper: "piper-",
  cosyvoice2: "cosyvoice2-",
  mock: "mock-",
};

/** The adapter a model id belongs to, by prefix; `undefined` for an id with no known prefix. */
export function adapterOfModel(modelId: string): AdapterTypeName | undefined {
  return ADAPTER_TYPES.find((a) => modelId.startsWith(MODEL_PREFIX[a]) && modelId.length > MODEL_PREFIX[a].length);
}

/** The model the worker falls back to when no voicepack of its own adapter is installed. */
export const FALLBACK_MOCK_MODEL = "mock-440hz";
