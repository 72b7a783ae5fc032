/**
 * The protocol side of one LiveKit user: starts the session through the shared acceptor when the user joins, turns
 * the user's data packets into session calls under the same rules and limits as the WebSocket transport, and ends
 * the session exactly once. Nothing a user sends can throw out of here: every violation becomes an `error` event
 * plus a close notice.
 *
 * @module
 */
import { getLogger } from "../../../shared/log/mod.ts";
import type { SessionStart } from "../../../shared/protocol/client_messages.ts";
import { CloseCode, type ErrorCode, type ProtocolLimits } from "../../../shared/protocol/limits.ts";
import { parseClientJson } from "../../../shared/protocol/parse.ts";
import { type SessionAcceptor, type SessionInput, SessionRejectedError, type UserAudioFrame } from "../contract.ts";
import { endSessionSafely } from "../session_end.ts";
import { TokenBucket } from "../websocket/budget.ts";
import type { LiveKitAgentOutput } from "./agent_output.ts";
import { decodeText } from "../../../shared/protocol/data_channel.ts";

const log = getLogger("orchestrator", "livekit");

/** Why a session ends (as in `SessionInput.end`). */
export type EndReason = Parameters<SessionInput["end"]>[0];

/** One user's session on a LiveKit room. */
export class UserSession {
  #output: LiveKitAgentOutput;
  #limits: ProtocolLimits;
  #jsonBudget: TokenBucket;
  #session: SessionInput | null = null;
  #ended = false;

  constructor(output: LiveKitAgentOutput, limits: ProtocolLimits) {
    this.#output = output;
    this.#limits = limits;
    this.#jsonBudget = new TokenBucket(limits.jsonBurst, limits.jsonPerSecond / 1000);
  }

  /** True while a session runs. */
  get active(): boolean {
    return this.#session !== null;
  }

  /** Asks the acceptor for a session; a refusal becomes the error event and close code it names. */
  start(acceptor: SessionAcceptor, principal: string, start: SessionStart): boolean {
    if (this.#session || this.#ended) return false;
    try {
      this.#session = acceptor({ principal, transport: "livekit", start }, this.#output);
      return true;
    } catch (error) {
      this.#ended = true;
      if (error instanceof SessionRejectedError) {
        this.#output.fail(error.code, error.message, { closeCode: error.closeCode });
      } else {
        log.error("starting a session on {id} failed: {error}", { id: this.#output.connectionId, error });
        this.#output.fail("internal", "the server could not start a session", { closeCode: CloseCode.internalError });
      }
      return false;
    }
  }

  /** Hands one chunk of the user's microphone audio to the session. */
  audio(frame: UserAudioFrame): void {
    const session = this.#session;
    if (!session) return;
    try {
      session.audio(frame);
    } catch (error) {
      this.#internalFailure(error);
    }
  }

  /** Handles one data packet from the user on the control topic. */
  data(payload: Uint8Array): void {
    if (this.#ended) return;
    try {
      this.#onData(payload);
    } catch (error) {
      this.#internalFailure(error);
    }
  }

  /** Ends the session (if any) with `reason`; later calls do nothing. */
  end(reason: EndReason): void {
    this.#ended = true;
    const session = this.#session;
    if (!session) return;
    this.#session = null;
    endSessionSafely(session, reason, this.#output.connectionId, log);
  }

  #onData(payload: Uint8Array): void {
    if (!this.#jsonBudget.take(1)) {
      return this.#violation("flood", `more than ${this.#limits.jsonPerSecond} data messages per second`);
    }
    const text = decodeText(payload);
    if (text === null) return this.#violation("bad_json", "data message is not UTF-8 text");
    const parsed = parseClientJson(text, this.#limits);
    if (!parsed.ok) {
      const closeCode = parsed.code === "message_too_big" ? CloseCode.messageTooBig : CloseCode.policyViolation;
      return this.#violation(parsed.code, parsed.message, closeCode);
    }
    const message = parsed.value;
    if (message.type === "session.start") {
      return this.#violation(
        "duplicate_start",
        "on LiveKit the session starts when you join the room; pass its options to POST /api/connection-details",
      );
    }
    if (message.type === "session.end") {
      this.end("client_end");
      return this.#output.close(CloseCode.normal, "session.end");
    }
    const session = this.#session;
    if (!session) return this.#violation("bad_message", `${message.type} before the session started`);
    if (message.type === "text") session.text(message.text);
    else session.control(message.action);
  }

  #violation(code: ErrorCode, message: string, closeCode: number = CloseCode.policyViolation): void {
    log.info("livekit user {id} violation {code}: {message}", { id: this.#output.connectionId, code, message });
    this.end("violation");
    this.#output.fail(code, message, { closeCode });
  }

  #internalFailure(error: unknown): void {
    log.error("livekit user {id}: handling input failed: {error}", { id: this.#output.connectionId, error });
    this.end("violation");
    this.#output.fail("internal", "the server failed handling this input", { closeCode: CloseCode.internalError });
  }
}
