/**
 * One voice session: runs the turn state machine over the speech input, the responder and the worker stream, and
 * talks to the client through its transport. All per-session state lives here (and in the parts it owns).
 *
 * @module
 */
import { FRAME_MS } from "../../shared/audio/format.ts";
import { getLogger, withLogContext } from "../../shared/log/mod.ts";
import type { OrchestratorMetrics } from "../metrics/orchestrator_metrics.ts";
import type { ControlAction } from "../../shared/protocol/client_messages.ts";
import type { ServerEvent } from "../../shared/protocol/server_events.ts";
import type { SessionInput, UserAudioFrame } from "../transports/contract.ts";
import type { TimerHandle } from "./clock.ts";
import { Conversation } from "./conversation.ts";
import { AgentResponse, type PacedFrame } from "./agent_response.ts";
import { OutputGate } from "./output_gate.ts";
import { FramePacer } from "./pacer.ts";
import { finalWaitBoundMs } from "./interruption_window.ts";
import { InterruptionJudge } from "./interruption_judge.ts";
import type { SessionOptions } from "./session_options.ts";
import type { SpeechInput, TimedVadCue, TimedVadEvent } from "./speech_input.ts";
import { type TurnAction, type TurnEvent, TurnStateMachine } from "./turn_state.ts";
import { TurnTiming } from "./turn_timing.ts";
import { endEvent, responseListener, type ResponseOutcome } from "./response_events.ts";
import { EarlyResponse } from "./early_response.ts";
import { OnsetHold } from "./onset_hold.ts";
import type { ResponseListener } from "./agent_response.ts";

const log = getLogger("orchestrator", "session");

/**
 * Audio recorded after the VAD first hears silence before the speculative final starts (ms): the tail of the last word
 * that Silero rates as silence (a fricative, a released stop) must be in it, and it must still be ready by the
 * endpoint (the ASR then has `VAD_MIN_SILENCE_MS` minus this).
 */
const SPECULATION_TAIL_MS = 120;

export type { SessionOptions, SessionSettings } from "./session_options.ts";

/** A running session. */
export class Session implements SessionInput {
  readonly id: string;
  readonly machine = new TurnStateMachine();
  readonly conversation = new Conversation();
  readonly options: SessionOptions;
  readonly input: SpeechInput;
  readonly pacer: FramePacer<PacedFrame>;
  #response: AgentResponse | null = null;
  /** Timing of the user turn being finalized (the next response takes it over). */
  #userTiming = new TurnTiming();
  /** Turn number of the current user turn (speech or text). */
  #turn = 0;
  /** Clock ms of the last agent frame sent. */
  #lastFrameSentAt = -Infinity;
  #pendingEnd: { speechEndAt: number; endpointAt: number } | null = null;
  #ended = false;
  readonly #gate = new OutputGate({
    holdAudio: () => this.pacer.hold(),
    releaseAudio: () => this.pacer.release(),
    pauseWorker: () => this.#response?.hold(),
    resumeWorker: () => this.#response?.resume(),
  });
  #interruptionTimer: TimerHandle | undefined;
  #speculationTimer: TimerHandle | undefined;
  #lastOnset: TimedVadEvent | null = null;
  readonly #judge: InterruptionJudge;
  readonly #onsetHold: OnsetHold;
  readonly #early: EarlyResponse;
  #speechOpen = false;
  #responseCount = 0;
  readonly #responseListener = responseListener({
    current: () => this.#response,
    turn: () => this.#turn,
    metrics: () => this.options.metrics,
    emit: (event) => this.emit(event),
    dispatch: (event) => this.dispatch(event),
    conclude: (response, outcome) => this.#concludeResponse(response, outcome),
  });

  constructor(options: SessionOptions) {
    this.id = options.id;
    this.options = options;
    const { clock, metrics } = options;
    this.pacer = new FramePacer<PacedFrame>({
      clock,
      leadMs: options.settings.pacerLeadMs,
      frameMs: FRAME_MS,
      send: (paced) => options.output.sendAudio(paced.frame.pcm),
      onSent: (paced, timing, delivered) => {
        this.#lastFrameSentAt = timing.actualMs;
        if (delivered) metrics?.framesSent.inc();
        else metrics?.framesDropped.inc();
        if (timing.jitterMs !== undefined) metrics?.frameJitter.observe(timing.jitterMs);
        paced.owner.frameSent(paced.frame, timing.actualMs);
      },
      onUnderrun: () => metrics?.pacerUnderruns.inc(),
    });
    this.input = options.createSpeechInput({
      onVadEvent: (event) => this.#onVadEvent(event),
      onVadCue: (cue) => this.#onVadCue(cue),
      onPartial: (_id, partial) => {
        if (!partial.text.trim()) return;
        this.emit({ type: "transcript.partial", turn: this.#turn, text: partial.text });
        if (this.#wordsCount(partial.text, partial.confidence)) this.dispatch({ type: "words" });
      },
      onError: (error) => this.#fatal("internal", `speech input failed: ${error.message}`),
    });
    this.#judge = new InterruptionJudge(() => this.input.streamMs);
    this.#onsetHold = new OnsetHold(options.settings.earlyHold !== false);
    this.#early = new EarlyResponse({
      canPrepare: () => this.machine.state === "user_speaking" && !this.#ended,
      turnText: (final) => {
        const text = final.text.trim();
        return this.#wordsCount(text, final.confidence) ? this.machine.turnText(text) : null;
      },
      createResponse: (text, listener) => this.#createResponse(text, new TurnTiming(), listener),
      runResponse: (response) => this.#runResponse(response),
      gateChanged: () => this.#applyGate(),
      clearAudio: () => this.pacer.clear(),
    });
    this.machine.onChange = (_from, to) => this.emit({ type: "state", state: to });
  }

  get metrics(): OrchestratorMetrics | undefined {
    return this.options.metrics;
  }

  /** The response being prepared or spoken, if any. */
  get response(): AgentResponse | null {
    return this.#response;
  }

  /** Sends an event to the client. */
  emit(event: ServerEvent): void {
    this.options.output.sendEvent(event);
  }

  audio(frame: UserAudioFrame): void {
    if (!this.#ended) this.input.push(frame.samples, frame.sampleRate, this.options.clock.now());
  }

  text(text: string): void {
    if (this.#ended) return;
    this.#turn++;
    this.#userTiming = new TurnTiming();
    this.#userTiming.finalAt = this.options.clock.now();
    this.dispatch({ type: "text_input", text });
  }

  control(action: ControlAction): void {
    if (this.#ended) return;
    if (action === "pause" || action === "resume") {
      this.#gate.client = action === "pause";
      this.#applyGate();
      return;
    }
    this.dispatch({ type: "control", action });
  }

  end(reason: string): void {
    if (this.#ended) return;
    log.debug("session {id} ends: {reason}", { id: this.id, reason });
    this.dispatch({ type: "close" });
    this.#early.drop();
    this.#ended = true;
    this.input.close();
    this.pacer.dispose();
    this.options.clock.clearTimer(this.#interruptionTimer);
    this.options.clock.clearTimer(this.#speculationTimer);
    this.options.router.endSession(this.id).catch((error) =>
      log.warn("ending worker sessions failed: {error}", { error })
    );
    this.options.onEnded?.();
  }

  /** Feeds one event to the state machine and runs the resulting actions. */
  dispatch(event: TurnEvent): void {
    if (this.#ended) return;
    for (const action of this.machine.dispatch(event)) this.#run(action);
    this.#applyGate();
  }

  /** The gate's brief holds follow the onset hold and the prepared answer; the machine's and client's are set. */
  #applyGate(): void {
    if (this.machine.state !== "speaking") this.#onsetHold.release();
    this.#gate.brief = this.#onsetHold.holding || this.#early.holding;
    this.#gate.apply();
  }

  /** Within the barge-in guard after the response's first frame: user sound then does not interrupt. */
  #guarded(atMs: number): boolean {
    const guard = this.options.settings.bargeInGuardMs;
    return this.machine.state === "speaking" && guard > 0 &&
      atMs - (this.#response?.timing.firstFrameSentAt ?? -Infinity) < guard;
  }

  /** An undecided onset while the agent speaks holds its audio (see `onset_hold.ts`). */
  #onVadCue(cue: TimedVadCue): void {
    this.#onSilenceCue(cue);
    const agentAudible = this.machine.state === "speaking" && !this.#guarded(this.options.clock.now());
    this.#onsetHold.cue(cue, agentAudible);
    this.#applyGate();
  }

  /**
   * Silence after user speech starts the turn's final, and the answer on it (see `early_response.ts`); speech that
   * comes back before the endpoint drops both. At the endpoint the VAD's `speech_end` comes first, so the recording
   * has ended by the time the cue clears.
   */
  #onSilenceCue(cue: TimedVadCue): void {
    if (this.options.settings.speculative === false || this.machine.state !== "user_speaking") return;
    const clock = this.options.clock;
    clock.clearTimer(this.#speculationTimer);
    this.#speculationTimer = undefined;
    if (cue?.kind === "pause") {
      // Silero rates a word's trailing fricative ("lights") as silence: the final waits for it to be recorded.
      this.#speculationTimer = clock.setTimer(() => {
        this.#speculationTimer = undefined;
        if (this.machine.state !== "user_speaking") return;
        const final = this.input.speculate();
        if (final) this.#early.speculate(final);
      }, SPECULATION_TAIL_MS);
    } else {
      this.input.retract();
      this.#early.drop();
    }
  }

  #onVadEvent(event: TimedVadEvent): void {
    if (event.type === "speech_start") {
      this.#lastOnset = event;
      const guarded = this.#guarded(event.detectedArrivalMs);
      if (!guarded && !this.#speechOpen) {
        this.#speechOpen = true;
        this.#turn++;
        this.emit({ type: "speech.started", turn: this.#turn, streamMs: event.streamMs });
      }
      this.dispatch({ type: "speech_start", guarded });
    } else {
      if (this.#speechOpen) {
        this.#speechOpen = false;
        this.emit({ type: "speech.stopped", turn: this.#turn, streamMs: event.streamMs });
      }
      this.#judge.speechEnded(event.streamMs);
      this.#pendingEnd = { speechEndAt: event.atMs, endpointAt: event.detectedArrivalMs };
      this.dispatch({ type: "speech_end" });
      this.#pendingEnd = null;
    }
  }

  #run(action: TurnAction): void {
    const { clock, metrics } = this.options;
    switch (action.type) {
      case "start_utterance":
        this.input.startUtterance(this.#lastOnset?.streamMs ?? this.input.streamMs);
        return;
      case "finish_utterance":
        return this.#finishUtterance();
      case "cancel_utterance":
        this.#early.drop();
        return this.input.cancelUtterances();
      case "start_response":
        return this.#startResponse(action.text);
      case "cancel_response":
        this.#releaseResponse();
        this.options.output.clearAudio();
        return;
      case "stop_response":
        if (this.#response) this.#concludeResponse(this.#response, { type: "stopped", reason: action.reason });
        return;
      case "hold_output":
        this.#judge.held(this.#lastOnset);
        this.#onsetHold.interruptionTookOver(this.#lastOnset?.atMs);
        this.#gate.machine = true;
        return;
      case "resume_output":
        metrics?.falseInterruptions.inc();
        this.#gate.machine = false;
        return;
      case "start_interruption_timer":
        // A later speech end inside the same interruption restarts the window.
        return this.#startInterruptionTimer("interruption_timeout", this.options.settings.falseInterruptionMs);
      case "start_final_wait_timer": {
        // Started when the window expires, so the bound counts from the same speech end as the window.
        const windowMs = this.options.settings.falseInterruptionMs;
        return this.#startInterruptionTimer("final_wait_timeout", finalWaitBoundMs(windowMs) - windowMs);
      }
      case "cancel_interruption_timer":
        clock.clearTimer(this.#interruptionTimer);
        this.#interruptionTimer = undefined;
        return;
    }
  }

  /** One timer serves both the window and the final wait that may follow it. */
  #startInterruptionTimer(type: "interruption_timeout" | "final_wait_timeout", delayMs: number): void {
    const clock = this.options.clock;
    clock.clearTimer(this.#interruptionTimer);
    this.#interruptionTimer = clock.setTimer(() => {
      this.#interruptionTimer = undefined;
      this.dispatch({ type });
    }, delayMs);
  }

  #finishUtterance(): void {
    const turn = this.#turn;
    // The speech of an interruption, for judging a final that arrives after the agent resumed.
    const interruptionMs = this.machine.state === "interrupted"
      ? this.#judge.speechMs(this.machine.userSpeaking)
      : undefined;
    // Each finished utterance starts the timing of the turn it ends.
    const timing = this.#userTiming = new TurnTiming();
    timing.speechEndAt = this.#pendingEnd?.speechEndAt;
    timing.endpointAt = this.#pendingEnd?.endpointAt;
    this.input.finishUtterance().then((result) => {
      if (!result || this.#ended) return;
      const { transcript } = result;
      timing.finalAt = this.options.clock.now();
      timing.asrComputeMs = transcript.computeMs;
      this.options.metrics?.asrCompute.observe(transcript.computeMs);
      const text = transcript.text.trim();
      // A filler or an invented phrase during an interruption is not a turn: the agent resumes.
      const heard = this.#wordsCount(text, transcript.confidence, interruptionMs) ? text : "";
      this.emit({
        type: "transcript.final",
        turn,
        text,
        language: transcript.language,
        confidence: transcript.confidence,
        audioSeconds: transcript.audioSeconds,
      });
      this.dispatch({ type: "final", text: heard });
    }, (error) => {
      if (this.#ended) return;
      this.options.metrics?.errors.inc({ code: "asr_failed" });
      this.emit({ type: "error", code: "asr_failed", message: `speech recognition failed: ${error}`, fatal: false });
      this.dispatch({ type: "final", text: "" });
    });
  }

  #startResponse(text: string): void {
    const timing = this.#userTiming;
    this.#userTiming = new TurnTiming();
    const early = this.#early.adopt(text, timing);
    const response = early?.response ?? this.#createResponse(text, timing, this.#responseListener);
    this.#response = response;
    this.options.metrics?.turnsTotal.inc();
    this.emit({ type: "response.started", turn: this.#turn, responseId: response.id, input: text });
    if (early) early.reportTo(this.#responseListener);
    else this.#runResponse(response);
  }

  /** Runs a response; everything it logs, and the worker calls it makes, carry its id as request_id. */
  #runResponse(response: AgentResponse): void {
    withLogContext({ request_id: response.id }, () => response.run())
      .catch((error) => log.error("response {id} crashed: {error}", { id: response.id, error }));
  }

  /** A response to `text` (not yet run) that reports to `listener`. */
  #createResponse(text: string, timing: TurnTiming, listener: ResponseListener): AgentResponse {
    const settings = this.options.settings;
    this.#responseCount++;
    return new AgentResponse({
      id: `${this.id}-r${this.#responseCount}`,
      input: text,
      timing,
      responder: this.options.responder,
      history: [...this.conversation.messages, { role: "user", content: text }],
      language: settings.language,
      router: this.options.router,
      stream: {
        sessionId: this.id,
        modelId: settings.model || undefined,
        options: settings.voice,
        affinityKey: settings.affinityKey,
      },
      pacer: this.pacer,
      clock: this.options.clock,
      listener,
    });
  }

  /** The one place a response ends, however it ends: the conversation, its audio, the client, the machine. */
  #concludeResponse(response: AgentResponse, outcome: ResponseOutcome): void {
    const { metrics, output } = this.options;
    const pushed = response.pushedText.trim();
    const heard = outcome.type === "done" ? pushed : response.heardText();
    this.#releaseResponse();
    this.conversation.addUser(response.input);
    this.conversation.addAssistant(heard, heard.length < pushed.length || outcome.type === "stopped");
    // What the user hears stops now, not after the carrier's queue drains.
    if (outcome.type === "stopped") output.clearAudio();
    const event = endEvent(response, outcome, heard);
    // One line per turn with its figures; the ids are explicit because the end may be booked from the pacer's timer
    // rather than from the response's own call tree.
    log.info("response {request_id} {outcome}: {frames} frames, voice_to_voice_ms {voice_to_voice_ms}", {
      request_id: response.id,
      outcome: outcome.type === "failed" ? `failed (${outcome.kind}: ${outcome.error.message})` : outcome.type,
      frames: response.framesSent,
      ...response.timing.metrics(),
    });
    this.emit(event);
    if (event.type === "error") metrics?.errors.inc({ code: event.code });
    if (outcome.type !== "stopped") return this.dispatch({ type: `response_${outcome.type}` });
    metrics?.interruptions.inc({ reason: outcome.reason });
    const onset = this.#judge.onset;
    if (outcome.reason === "barge_in" && onset) {
      const bargeInMs = Math.max(0, this.#lastFrameSentAt - onset.detectedArrivalMs);
      const onsetMs = Math.max(0, this.#lastFrameSentAt - (this.#onsetHold.interruptionOnsetAt ?? onset.atMs));
      metrics?.bargeIn.observe(bargeInMs);
      metrics?.bargeInOnset.observe(onsetMs);
      this.emit({
        type: "metrics",
        turn: this.#turn,
        responseId: response.id,
        metrics: { barge_in_ms: bargeInMs, barge_in_onset_ms: onsetMs },
      });
    }
  }

  /** Stops the current response and drops its unsent audio. */
  #releaseResponse(): void {
    this.#response?.stop();
    this.#response = null;
    this.pacer.clear();
    // A hold was a hold of this response's output; the next response starts unheld.
    this.#gate.machine = false;
  }

  /** Whether transcript text claims the turn now (see {@linkcode InterruptionJudge.wordsCount}). */
  #wordsCount(text: string, confidence: number, interruptionMs?: number): boolean {
    const state = { interrupted: this.machine.state === "interrupted", userSpeaking: this.machine.userSpeaking };
    return this.#judge.wordsCount(text, confidence, state, interruptionMs);
  }

  #fatal(code: "internal", message: string): void {
    log.error("session {id}: {message}", { id: this.id, message });
    this.options.output.fail(code, message, { fatal: true, closeCode: 1011 });
    this.end("violation");
  }
}
