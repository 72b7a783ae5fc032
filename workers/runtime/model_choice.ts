/**
 * What a worker serves, decided once at start from its adapter's own catalogue (`TtsAdapter.listModels`): the
 * configured `DEFAULT_MODEL` when the catalogue has it; otherwise the first model the catalogue offers; otherwise
 * (no model of the family installed, or no adapter for the family in this build) the mock adapter with
 * `mock-440hz`. `STRICT_CONFIG=true` turns any fallback into a startup error, and so is a model a fixed catalogue
 * (mock) does not have. The worker logs the choice and why;
 * its registry record then tells the orchestrator what is really served.
 *
 * @module
 */
import { FALLBACK_MOCK_MODEL } from "../../shared/tts/models.ts";
import type { AdapterType, TtsAdapter } from "./adapter.ts";

/** What the worker was asked to serve. */
export interface ModelRequest {
  adapterType: AdapterType;
  /** `DEFAULT_MODEL`. */
  defaultModel: string;
  /** `PRELOAD_MODEL_IDS`. */
  preload: readonly string[];
  /** `STRICT_CONFIG`: refuse to fall back. */
  strict: boolean;
  /**
   * How to install a missing model, e.g. `run deno task voices:fetch <id>`. Without it the family's catalogue is
   * fixed (mock): a model it does not have is a mistake in the config and an error, not a reason to fall back.
   */
  fetchHint?: (modelId: string) => string;
}

/** What the worker serves, and why it differs from the request (undefined when it does not). */
export interface ModelChoice {
  adapter: TtsAdapter;
  defaultModel: string;
  preload: string[];
  fallback?: string;
}

/** The requested model cannot be served: a fallback refused under `STRICT_CONFIG=true`, or an unknown model. */
export class StrictModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StrictModelError";
  }
}

/**
 * Decides what to serve. `adapter` is the family's adapter, or null when this build has none; `mock` builds the
 * mock adapter for the last fallback.
 */
export async function chooseModel(
  request: ModelRequest,
  adapter: TtsAdapter | null,
  mock: () => TtsAdapter | Promise<TtsAdapter>,
): Promise<ModelChoice> {
  const { adapterType, defaultModel, strict } = request;
  const offered = adapter ? (await adapter.listModels()).map((m) => m.id) : [];
  if (adapter && offered.includes(defaultModel)) {
    return { adapter, defaultModel, preload: request.preload.filter((id) => offered.includes(id)) };
  }
  const missing = adapter
    ? `voicepack not found for ${defaultModel} (the ${adapterType} catalogue has ${offered.join(", ") || "nothing"})`
    : `no ${adapterType} adapter in this build`;
  const fetch = adapter && request.fetchHint ? `; ${request.fetchHint(defaultModel)}` : "";
  if (adapter && !request.fetchHint) {
    throw new StrictModelError(
      `DEFAULT_MODEL=${defaultModel} is not a ${adapterType} model; the catalogue has ${
        offered.join(", ") || "nothing"
      }`,
    );
  }
  if (strict) {
    throw new StrictModelError(
      `DEFAULT_MODEL=${defaultModel}: ${missing}${fetch}; STRICT_CONFIG=true forbids the fallback`,
    );
  }
  if (adapter && offered.length > 0) {
    const first = [...offered].sort()[0];
    return {
      adapter,
      defaultModel: first,
      preload: request.preload.filter((id) => offered.includes(id)),
      fallback: `${missing}${fetch}; falling back to ${first}, the first installed ${adapterType} voice`,
    };
  }
  return {
    adapter: await mock(),
    defaultModel: FALLBACK_MOCK_MODEL,
    preload: [],
    fallback: `${missing}${fetch}; falling back to the mock adapter with ${FALLBACK_MOCK_MODEL}`,
  };
}
