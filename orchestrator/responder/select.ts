/**
 * Builds the responders a process offers from its config: `echo` always, `llm` when `LLM_BASE_URL` and `LLM_MODEL`
 * are set. `RESPONDER` names the default; a session may ask for another one that is available.
 *
 * @module
 */
import type { OrchestratorConfig } from "../../shared/config/orchestrator.ts";
import type { Responder } from "./contract.ts";
import { EchoResponder } from "./echo.ts";
import { OpenAiChatResponder } from "./openai_chat.ts";

/** `LLM_MAX_TOKENS` default: about a minute of speech, so no answer runs on at the upstream's whim. */
export const DEFAULT_LLM_MAX_TOKENS = 300;

/** The config keys the responders read. */
export type ResponderConfig =
  & Pick<
    OrchestratorConfig,
    "RESPONDER" | "LLM_BASE_URL" | "LLM_API_KEY" | "LLM_MODEL" | "LLM_SYSTEM_PROMPT"
  >
  & Partial<Pick<OrchestratorConfig, "LLM_MAX_TOKENS">>;

/** The responders of a process and the default one. */
export interface ResponderSet {
  readonly defaultName: string;
  get(name?: string): Responder | undefined;
  names(): string[];
}

/** Creates the responder set for `config`. */
export function createResponders(config: ResponderConfig): ResponderSet {
  const responders = new Map<string, Responder>([["echo", new EchoResponder()]]);
  if (config.LLM_BASE_URL && config.LLM_MODEL) {
    responders.set(
      "llm",
      new OpenAiChatResponder({
        baseUrl: String(config.LLM_BASE_URL),
        model: config.LLM_MODEL,
        apiKey: config.LLM_API_KEY || undefined,
        systemPrompt: config.LLM_SYSTEM_PROMPT || undefined,
        maxTokens: config.LLM_MAX_TOKENS ?? DEFAULT_LLM_MAX_TOKENS,
      }),
    );
  }
  return {
    defaultName: config.RESPONDER,
    get: (name) => responders.get(name ?? config.RESPONDER),
    names: () => [...responders.keys()],
  };
}
