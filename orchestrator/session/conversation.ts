/**
 * The conversation history of one session: user turns and the agent text the user actually heard, with interrupted
 * agent turns marked. Bounded, so a long session does not grow without limit (the oldest turns go first).
 *
 * @module
 */
import type { ConversationMessage } from "../responder/contract.ts";

/** A session's history. */
export class Conversation {
  #messages: ConversationMessage[] = [];

  constructor(readonly maxMessages = 40) {}

  /** The history, oldest first. */
  get messages(): readonly ConversationMessage[] {
    return this.#messages;
  }

  addUser(text: string): void {
    this.#add({ role: "user", content: text });
  }

  /** Records an agent turn; an interrupted one keeps only the heard text (nothing at all when nothing was heard). */
  addAssistant(text: string, interrupted = false): void {
    if (!text && !interrupted) return;
    this.#add(
      interrupted ? { role: "assistant", content: text, interrupted: true } : { role: "assistant", content: text },
    );
  }

  #add(message: ConversationMessage): void {
    this.#messages.push(message);
    if (this.#messages.length > this.maxMessages) this.#messages.splice(0, this.#messages.length - this.maxMessages);
  }
}
