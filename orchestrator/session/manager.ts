/**
 * Creates and tracks every session of the process, whatever transport it came in on: checks the `session.start`
 * against what the server offers (responder, language, sessions per key), then builds the session.
 *
 * @module
 */
import { FRAME_MS, WIRE_SAMPLE_RATE } from "../../shared/audio/format.ts";
import { getLogger, withLogContext } from "../../shared/log/mod.ts";
import type { OrchestratorMetrics } from "../metrics/orchestrator_metrics.ts";
import { CloseCode } from "../../shared/protocol/limits.ts";
import type { ResponderSet } from "../responder/select.ts";
import type { TtsRouter } from "../routing/contract.ts";
import {
  type AgentOutput,
  type SessionInput,
  SessionRejectedError,
  type SessionRequest,
} from "../transports/contract.ts";
import { type Clock, systemClock } from "./clock.ts";
import { Session } from "./session.ts";
import { TurnBudget } from "../responder/turn_budget.ts";
import { audit } from "../../shared/log/audit.ts";
import type { SpeechInput, SpeechInputListener } from "./speech_input.ts";

const log = getLogger("orchestrator", "sessions");
const transcriptLog = getLogger("orchestrator", "transcript");

/** Logs each final user transcript (opt-in: `TRANSCRIPT_LOG=true`). */
function withTranscriptLog(output: AgentOutput, sessionId: string): AgentOutput {
  return {
    get connectionId() {
      return output.connectionId;
    },
    get open() {
      return output.open;
    },
    sendAudio: (pcm) => output.sendAudio(pcm),
    clearAudio: () => output.clearAudio(),
    sendEvent: (event) => {
      if (event.type === "transcript.final") {
        transcriptLog.info("user said: {text}", { session_id: sessionId, text: event.text });
      }
      output.sendEvent(event);
    },
    fail: (code, message, options) => output.fail(code, message, options),
    close: (code, reason) => output.close(code, reason),
  };
}

/** Turn-taking settings shared by all sessions (from config). */
export interface TurnSettings {
  falseInterruptionMs: number;
  bargeInGuardMs: number;
  /** `BARGE_IN_EARLY_HOLD` (see `SessionSettings.earlyHold`). */
  earlyHold?: boolean;
  /** `EARLY_RESPONSE` (see `SessionSettings.speculative`). */
  speculative?: boolean;
  pacerLeadMs: number;
  defaultLanguage: string;
  /** Empty: the router's default model. */
  defaultModel: string;
}

/** What a session's speech input needs to know (each audio frame carries its own sample rate). */
export interface SpeechInputParams {
  language: string;
}

/** Options of the manager. */
export interface SessionManagerOptions {
  turn: TurnSettings;
  maxSessionsPerKey: number;
  responders: ResponderSet;
  router: TtsRouter;
  /** Languages the ASR understands (`["en"]` for English-only models); empty: any. */
  asrLanguages: readonly string[];
  createSpeechInput: (listener: SpeechInputListener, params: SpeechInputParams) => SpeechInput;
  clock?: Clock;
  metrics?: OrchestratorMetrics;
  /** `LLM_TURNS_PER_MINUTE`: turns of the `llm` responder per principal; absent: unlimited. */
  llmTurnsPerMinute?: number;
  /** `TRANSCRIPT_LOG`: final user transcripts are logged (default: never; they live in memory only). */
  transcriptLog?: boolean;
}

/** The sessions of the process. */
export class SessionManager {
  #options: SessionManagerOptions;
  #sessions = new Map<string, { session: Session; principal: string }>();

  readonly #turnBudget: TurnBudget | null;

  constructor(options: SessionManagerOptions) {
    this.#options = options;
    this.#turnBudget = options.llmTurnsPerMinute ? new TurnBudget(options.llmTurnsPerMinute) : null;
  }

  /** Sessions open now. */
  get size(): number {
    return this.#sessions.size;
  }

  /** Sessions open now for one principal. */
  countFor(principal: string): number {
    let n = 0;
    for (const entry of this.#sessions.values()) if (entry.principal === principal) n++;
    return n;
  }

  /** Looks a session up by id (tests, diagnostics). */
  get(id: string): Session | undefined {
    return this.#sessions.get(id)?.session;
  }

  /** The acceptor every transport calls (see `SessionAcceptor`). */
  readonly accept = (request: SessionRequest, output: AgentOutput): SessionInput => this.#accept(request, output);

  #accept(request: SessionRequest, output: AgentOutput): SessionInput {
    const options = this.#options;
    const { start, principal } = request;
    if (this.countFor(principal) >= options.maxSessionsPerKey) {
      throw new SessionRejectedError(
        "too_many_sessions",
        `this credential already holds ${options.maxSessionsPerKey} sessions (the maximum)`,
        CloseCode.tooManySessions,
      );
    }
    const offered = options.responders.get(start.responder);
    if (!offered) {
      throw new SessionRejectedError(
        "bad_message",
        `responder "${start.responder}" is not available here (available: ${options.responders.names().join(", ")})`,
        CloseCode.policyViolation,
      );
    }
    // Turns that cost money upstream are charged to the principal, across all its sessions.
    const responder = offered.name === "llm" && this.#turnBudget ? this.#turnBudget.wrap(offered, principal) : offered;
    const language = (start.language || options.turn.defaultLanguage).toLowerCase();
    const base = language.split("-")[0];
    if (options.asrLanguages.length > 0 && !options.asrLanguages.includes(base)) {
      throw new SessionRejectedError(
        "bad_message",
        `language "${language}" is not supported by the speech recognizer (supported: ${
          options.asrLanguages.join(", ")
        })`,
        CloseCode.policyViolation,
      );
    }
    const inputSampleRate = start.audio?.sampleRate ?? 16_000;
    // A worker configured for the model may serve a stand-in (no voicepack): the session uses what is really served.
    const resolved = options.router.resolveModel(start.model || options.turn.defaultModel);
    const model = resolved.model;
    const busy = options.router.busy(model);
    if (busy) throw new SessionRejectedError("busy", busy, CloseCode.tryAgainLater);
    const voice = {
      speakerId: start.voice ?? start.options?.speakerId,
      speed: start.options?.speed,
      noiseScale: start.options?.noiseScale,
      noiseW: start.options?.noiseW,
    };
    const id = crypto.randomUUID();
    // Timers and promises the session creates carry its id into every log line (see `inLogContext`).
    const session = withLogContext({ session_id: id }, () =>
      new Session({
        id,
        output: options.transcriptLog ? withTranscriptLog(output, id) : output,
        clock: options.clock ?? systemClock,
        settings: { ...options.turn, language, model, voice, affinityKey: principal },
        createSpeechInput: (listener) => options.createSpeechInput(listener, { language }),
        responder,
        router: options.router,
        metrics: options.metrics,
        onEnded: () => {
          this.#sessions.delete(id);
          options.metrics?.sessionClosed(request.transport);
          log.info("session {id} ended ({n} open)", { id, n: this.#sessions.size });
          audit({ action: "session.end", outcome: "ok", principal, target: id, via: request.transport });
        },
      }));
    this.#sessions.set(id, { session, principal });
    options.metrics?.sessionOpened(request.transport);
    log.info("session {id} started on {transport} for {principal}", { id, transport: request.transport, principal });
    audit({ action: "session.start", outcome: "ok", principal, target: id, via: request.transport });
    output.sendEvent({
      type: "session.started",
      sessionId: id,
      model: model || "default",
      responder: responder.name,
      language,
      inputSampleRate,
      outputSampleRate: WIRE_SAMPLE_RATE,
      frameMs: FRAME_MS,
    });
    if (resolved.fallback) {
      const { requested, served, reason, worker } = resolved.fallback;
      log.warn("session {id}: {requested} is not served; {worker} serves {served} instead: {reason}", {
        id,
        requested,
        served,
        worker,
        reason,
      });
      output.sendEvent({ type: "warning", code: "tts_model_fallback", requested, served, reason });
    }
    return inLogContext(session, { session_id: id });
  }

  /** Ends every session (shutdown). */
  endAll(): void {
    for (const { session } of [...this.#sessions.values()]) session.end("server_shutdown");
  }
}

/**
 * The session's input with every call run in the session's log context, so whatever a frame or message sets off
 * (VAD, ASR, the response, the worker calls) logs with `session_id`.
 */
function inLogContext(input: SessionInput, fields: Record<string, string>): SessionInput {
  return {
    audio: (frame) => withLogContext(fields, () => input.audio(frame)),
    text: (text) => withLogContext(fields, () => input.text(text)),
    control: (action) => withLogContext(fields, () => input.control(action)),
    end: (reason) => withLogContext(fields, () => input.end(reason)),
  };
}
