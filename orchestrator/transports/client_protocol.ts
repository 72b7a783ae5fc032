/**
 * The client protocol engine: every rule of docs/protocol.md that does not depend on the carrier, written once for
 * all transports. A transport frames its carrier onto it (WebSocket text and binary messages, LiveKit data packets
 * and audio frames) and implements {@linkcode AgentOutput}; the engine owns the start rule, the JSON and audio
 * budgets, parsing, the mapping of violations to close codes, `session.end`, text and control dispatch, and ending
 * the session exactly once. Nothing a client sends can throw out of here: every violation and every failure while
 * handling input becomes an `error` event plus a close code.
 *
 * @module
 */
import type { Logger } from "../../shared/log/mod.ts";
import type { SessionStart } from "../../shared/protocol/client_messages.ts";
import { CloseCode, type ErrorCode, maxAudioBytes, type ProtocolLimits } from "../../shared/protocol/limits.ts";
import { parseClientAudio, parseClientJson } from "../../shared/protocol/parse.ts";
import { decodeText } from "../../shared/protocol/data_channel.ts";
import { TokenBucket } from "./budget.ts";
import {
  type AgentOutput,
  type SessionAcceptor,
  type SessionInput,
  SessionRejectedError,
  type SessionRequest,
  type UserAudioFrame,
} from "./contract.ts";

/** Why a session ends (as in `SessionInput.end`). */
export type EndReason = Parameters<SessionInput["end"]>[0];

/** The input rate a client that declares none is assumed to send, in Hz. */
const DEFAULT_INPUT_RATE = 16_000;

/** Options of one connection's engine. */
export interface ClientProtocolOptions {
  transport: SessionRequest["transport"];
  /** The authenticated principal the session is counted against. */
  principal: string;
  limits: ProtocolLimits;
  acceptor: SessionAcceptor;
  /** The carrier's way back to the client; the engine reports violations through it. */
  output: AgentOutput;
  log: Logger;
  /**
   * Set when the carrier starts the session itself (LiveKit starts it when the user joins): a client's
   * `session.start` is then refused with this explanation. Unset: the client's `session.start` starts it.
   */
  refuseStartMessage?: string;
  /** Called with the code of every error the engine reports to the client (the errors-by-code metric). */
  onError?: (code: ErrorCode) => void;
}

/** One connection's protocol state: the session it carries, its budgets and its start timer. */
export class ClientProtocol {
  #options: ClientProtocolOptions;
  #session: SessionInput | null = null;
  #ended = false;
  #inputRate = DEFAULT_INPUT_RATE;
  #startTimer: ReturnType<typeof setTimeout> | undefined;
  #jsonBudget: TokenBucket;
  #audioBudget: TokenBucket;

  constructor(options: ClientProtocolOptions) {
    this.#options = options;
    const { limits } = options;
    this.#jsonBudget = new TokenBucket(limits.jsonBurst, limits.jsonPerSecond / 1000);
    this.#audioBudget = new TokenBucket(limits.audioBurstMs, 1);
  }

  /** True while a session runs. */
  get active(): boolean {
    return this.#session !== null;
  }

  /** Closes the connection with `start_timeout` unless a session starts within the limit. */
  armStartTimeout(): void {
    const ms = this.#options.limits.startTimeoutMs;
    clearTimeout(this.#startTimer);
    this.#startTimer = setTimeout(() => {
      if (this.#session || this.#ended) return;
      this.#ended = true;
      this.#fail("start_timeout", `no session.start within ${ms} ms`, {
        closeCode: CloseCode.startTimeout,
      });
    }, ms);
  }

  /** Asks the acceptor for a session; a refusal becomes the error event and close code it names. */
  start(start: SessionStart): boolean {
    if (this.#ended) return false;
    if (this.#session) {
      this.#violation("duplicate_start", "session.start sent twice");
      return false;
    }
    const { acceptor, principal, transport, output, log } = this.#options;
    try {
      this.#session = acceptor({ principal, transport, start }, output);
      this.#inputRate = start.audio?.sampleRate ?? DEFAULT_INPUT_RATE;
      clearTimeout(this.#startTimer);
      return true;
    } catch (error) {
      this.#ended = true;
      if (error instanceof SessionRejectedError) {
        this.#fail(error.code, error.message, { closeCode: error.closeCode });
      } else {
        log.error("starting a session on {id} failed: {error}", { id: output.connectionId, error });
        this.#fail("internal", "the server could not start a session", { closeCode: CloseCode.internalError });
      }
      return false;
    }
  }

  /** Handles one JSON text message. */
  json(raw: string): void {
    this.#guarded(() => this.#onJson(raw));
  }

  /** Handles one JSON message that arrived as bytes (a data packet): UTF-8 text, then as {@linkcode json}. */
  jsonBytes(payload: Uint8Array): void {
    this.#guarded(() => {
      const text = decodeText(payload);
      if (text === null) return this.#violation("bad_json", "data message is not UTF-8 text");
      this.#onJson(text);
    });
  }

  /** Handles one binary audio message: s16le mono at the rate the client declared, within the size and rate budget. */
  audioBytes(bytes: Uint8Array): void {
    this.#guarded(() => this.#onAudioBytes(bytes));
  }

  /** Hands one frame the carrier decoded itself (LiveKit's audio track) to the session; dropped before the start. */
  audio(frame: UserAudioFrame): void {
    this.#guarded(() => this.#session?.audio(frame));
  }

  /** A message kind the protocol does not have. */
  unsupported(what: string): void {
    this.#guarded(() => this.#violation("bad_message", what));
  }

  /** Ends the session (if any) with `reason`; later input is ignored and later calls do nothing. */
  end(reason: EndReason): void {
    this.#ended = true;
    clearTimeout(this.#startTimer);
    const session = this.#session;
    if (!session) return;
    this.#session = null;
    try {
      session.end(reason);
    } catch (error) {
      this.#options.log.error("session end failed on {id}: {error}", { id: this.#options.output.connectionId, error });
    }
  }

  /** Forgets the session without telling it: the session itself asked for the close. */
  detach(): void {
    this.#ended = true;
    clearTimeout(this.#startTimer);
    this.#session = null;
  }

  #guarded(handle: () => void): void {
    if (this.#ended) return;
    try {
      handle();
    } catch (error) {
      const { output, log } = this.#options;
      log.error("connection {id} failed handling input: {error}", { id: output.connectionId, error });
      this.end("violation");
      this.#fail("internal", "the server failed handling this input", { closeCode: CloseCode.internalError });
    }
  }

  #onJson(raw: string): void {
    const { limits, refuseStartMessage, output } = this.#options;
    if (!this.#jsonBudget.take(1)) {
      return this.#violation("flood", `more than ${limits.jsonPerSecond} JSON messages per second`);
    }
    const parsed = parseClientJson(raw, limits);
    if (!parsed.ok) {
      const closeCode = parsed.code === "message_too_big" ? CloseCode.messageTooBig : CloseCode.policyViolation;
      return this.#violation(parsed.code, parsed.message, closeCode);
    }
    const message = parsed.value;
    if (message.type === "session.start") {
      if (refuseStartMessage) return this.#violation("duplicate_start", refuseStartMessage);
      this.start(message);
      return;
    }
    if (message.type === "session.end") {
      this.end("client_end");
      return output.close(CloseCode.normal, "session.end");
    }
    const session = this.#session;
    if (!session) return this.#violation("bad_message", `${message.type} before session.start`);
    if (message.type === "text") session.text(message.text);
    else session.control(message.action);
  }

  #onAudioBytes(bytes: Uint8Array): void {
    const session = this.#session;
    if (!session) return this.#violation("audio_before_start", "audio before session.start");
    const { limits } = this.#options;
    const rate = this.#inputRate;
    const parsed = parseClientAudio(bytes, rate, limits);
    if (bytes.byteLength > maxAudioBytes(rate, limits)) {
      return this.#violation("bad_audio", parsed.ok ? "audio too long" : parsed.message, CloseCode.messageTooBig);
    }
    if (!parsed.ok) return this.#violation(parsed.code, parsed.message);
    const durationMs = (parsed.value.length * 1000) / rate;
    if (!this.#audioBudget.take(durationMs)) {
      return this.#violation(
        "flood",
        `audio is arriving faster than real time (more than ${limits.audioBurstMs} ms ahead)`,
      );
    }
    session.audio({ samples: parsed.value, sampleRate: rate });
  }

  /** Reports an error to the client, and counts it. */
  #fail(code: ErrorCode, message: string, options: { closeCode: number }): void {
    this.#options.onError?.(code);
    this.#options.output.fail(code, message, options);
  }

  #violation(code: ErrorCode, message: string, closeCode: number = CloseCode.policyViolation): void {
    const { output, log, transport } = this.#options;
    log.info("{transport} connection {id} violation {code}: {message}", {
      transport,
      id: output.connectionId,
      code,
      message,
    });
    this.end("violation");
    this.#fail(code, message, { closeCode });
  }
}
