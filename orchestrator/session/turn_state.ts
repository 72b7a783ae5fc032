/**
 * The turn-taking state machine of one session, with no I/O: events in, actions out. The session turns the actions
 * into work (ASR utterances, responses, output hold/resume, timers) and feeds the outcomes back as events.
 *
 * ```
 * listening ─speech_start─▶ user_speaking ─speech_end─▶ thinking ─response_audio─▶ speaking ─response_done─▶ listening
 *                                 ▲                        │ speech_start (user goes on: the response is dropped and
 *                                 └────────────────────────┘ its input kept as the start of the next turn)
 * speaking ─speech_start─▶ interrupted ─words / final text─▶ user_speaking | thinking   (response stopped)
 *                                      ─empty final / timeout, final bound─▶ speaking  (response resumed)
 * speaking | listening ─late final with words─▶ thinking                                  (response stopped)
 * ```
 *
 * No speech the VAD detects is dropped, whatever the state: each onset starts an utterance (also a second one inside
 * an interruption's window), and each final with words either joins the turn being built or starts the answer.
 *
 * The false-interruption window runs from the end of the interrupting speech (VAD end): while the user is still
 * audible the agent stays paused, because a slow recognizer cannot have produced words yet. After the end, words
 * (a partial or final with text) must arrive within the window, else the agent resumes; but while the final of the
 * interrupting speech is still pending, the window cannot conclude "no words": the agent stays paused until that
 * final arrives, or resumes at an upper bound (`interruption_window.ts`) and a final with words arriving later
 * still stops it then.
 *
 * @module
 */
import type { InterruptReason } from "../../shared/protocol/server_events.ts";
import type { TurnAction, TurnEvent, TurnState } from "./turn_events.ts";

export type { TurnAction, TurnEvent, TurnState } from "./turn_events.ts";

/** The turn state machine. */
export class TurnStateMachine {
  #state: TurnState = "listening";
  #vadSpeaking = false;
  /** Utterances whose final transcript is still to come. */
  #finishing = 0;
  #recording = false;
  #response: "none" | "preparing" | "audible" = "none";
  #responseInput = "";
  /** User text of earlier utterances that the current turn continues. */
  #pendingText = "";

  /** Called after every change of state. */
  onChange?: (from: TurnState, to: TurnState) => void;

  get state(): TurnState {
    return this.#state;
  }

  /** True while the VAD reports user speech. */
  get userSpeaking(): boolean {
    return this.#vadSpeaking;
  }

  /** The text a turn would answer if `final` were its last words: earlier utterances of the turn joined to it. */
  turnText(final: string): string {
    return join(this.#pendingText, final);
  }

  /** Applies `event` and returns the actions to run, in order. */
  dispatch(event: TurnEvent): TurnAction[] {
    if (this.#state === "closed") return [];
    if (event.type === "speech_start") this.#vadSpeaking = true;
    if (event.type === "speech_end") this.#vadSpeaking = false;
    if (event.type === "final") this.#finishing = Math.max(0, this.#finishing - 1);
    if (event.type === "close") return this.#close();
    switch (this.#state) {
      case "listening":
        return this.#listening(event);
      case "user_speaking":
        return this.#userSpeaking(event);
      case "thinking":
        return this.#thinking(event);
      case "speaking":
        return this.#speaking(event);
      case "interrupted":
        return this.#interrupted(event);
    }
  }

  #listening(event: TurnEvent): TurnAction[] {
    if (event.type === "speech_start") return this.#startUtterance("user_speaking");
    if (event.type === "text_input") return this.#respond(event.text);
    // The final of an interruption that came after the agent resumed and finished: the user's words are answered.
    if (event.type === "final" && event.text) return this.#respond(event.text);
    return [];
  }

  #userSpeaking(event: TurnEvent): TurnAction[] {
    switch (event.type) {
      case "speech_end":
        this.#recording = false;
        this.#finishing++;
        this.#to("thinking");
        return [{ type: "finish_utterance" }];
      case "final":
        this.#pendingText = join(this.#pendingText, event.text);
        return [];
      case "text_input":
        return [...this.#cancelUtterances(), ...this.#respond(join(this.#pendingText, event.text))];
      case "control":
        if (event.action === "interrupt") return [];
        this.#pendingText = "";
        this.#to("listening");
        return this.#cancelUtterances();
      default:
        return [];
    }
  }

  #thinking(event: TurnEvent): TurnAction[] {
    switch (event.type) {
      case "speech_start": {
        // The user goes on talking: the answer to the first part is dropped, its text starts the next turn.
        const actions: TurnAction[] = [];
        if (this.#response !== "none") {
          this.#pendingText = join(this.#pendingText, this.#responseInput);
          this.#response = "none";
          actions.push({ type: "cancel_response" });
        }
        return [...actions, ...this.#startUtterance("user_speaking")];
      }
      case "final": {
        this.#pendingText = join(this.#pendingText, event.text);
        // A later utterance is still finishing: its final completes the turn.
        if (this.#finishing > 0 || this.#response !== "none") return [];
        if (!this.#pendingText) return this.#to("listening"), [];
        return this.#respond(this.#pendingText);
      }
      case "response_audio":
        this.#response = "audible";
        return this.#to("speaking"), [];
      case "response_done":
      case "response_failed":
        this.#response = "none";
        return this.#to(this.#finishing > 0 ? "thinking" : "listening"), [];
      case "text_input":
        return [...this.#cancelUtterances(), ...this.#cancelResponse(), ...this.#respond(event.text)];
      case "control":
        this.#pendingText = "";
        this.#to("listening");
        return [...this.#cancelUtterances(), ...this.#cancelResponse()];
      default:
        return [];
    }
  }

  #speaking(event: TurnEvent): TurnAction[] {
    switch (event.type) {
      case "speech_start":
        if (event.guarded) return [];
        return [{ type: "hold_output" }, ...this.#startUtterance("interrupted")];
      case "response_done":
      case "response_failed":
        this.#response = "none";
        return this.#to("listening"), [];
      case "final":
        return event.text ? this.#lateFinal(event.text) : [];
      case "text_input":
        return [...this.#cancelUtterances(), this.#stop("text_input"), ...this.#respond(event.text)];
      case "control":
        this.#to("listening");
        if (event.action === "interrupt") return [this.#stop("client_interrupt")];
        return [...this.#cancelUtterances(), this.#stop("client_stop")];
      default:
        return [];
    }
  }

  #interrupted(event: TurnEvent): TurnAction[] {
    const timer: TurnAction = { type: "cancel_interruption_timer" };
    switch (event.type) {
      case "words":
        this.#to(this.#recording ? "user_speaking" : "thinking");
        return [timer, this.#stop("barge_in")];
      case "final":
        return this.#interruptionFinal(event.text);
      case "interruption_timeout":
        // A final still to come may hold words (a slow recognizer): wait for it, up to the bound.
        if (this.#finishing > 0 && !this.#recording) return [{ type: "start_final_wait_timer" }];
        this.#to("speaking");
        return [...this.#cancelUtterances(), { type: "resume_output" }];
      case "final_wait_timeout":
        // Resume, but keep the pending finals: one with words stops the agent when it comes (see #lateFinal).
        if (this.#recording) return [];
        this.#to("speaking");
        return [{ type: "resume_output" }];
      case "speech_start":
        // The user speaks again inside the window: record it too, and hold the window until this speech ends.
        if (this.#recording) return [];
        return [timer, ...this.#startUtterance("interrupted")];
      case "speech_end":
        if (!this.#recording) return [];
        this.#recording = false;
        this.#finishing++;
        return [{ type: "finish_utterance" }, { type: "start_interruption_timer" }];
      case "response_failed":
        this.#response = "none";
        this.#to(this.#recording ? "user_speaking" : "thinking");
        return [timer];
      case "text_input":
        return [timer, ...this.#cancelUtterances(), this.#stop("text_input"), ...this.#respond(event.text)];
      case "control":
        if (event.action === "interrupt") {
          this.#to(this.#recording ? "user_speaking" : "thinking");
          return [timer, this.#stop("client_interrupt")];
        }
        this.#to("listening");
        return [timer, ...this.#cancelUtterances(), this.#stop("client_stop")];
      default:
        return [];
    }
  }

  /**
   * The final of an interrupting utterance. Words stop the answer; they are answered once no other utterance of the
   * user is still recording or finishing (its text joins them). No words: the agent resumes, unless the user is
   * audible again or a later utterance is still to be judged.
   */
  #interruptionFinal(text: string): TurnAction[] {
    const timer: TurnAction = { type: "cancel_interruption_timer" };
    if (!text) {
      if (this.#recording || this.#finishing > 0) return [];
      this.#to("speaking");
      return [timer, { type: "resume_output" }];
    }
    this.#pendingText = join(this.#pendingText, text);
    const stop = this.#stop("barge_in");
    if (this.#recording) return this.#to("user_speaking"), [timer, stop];
    if (this.#finishing > 0) return this.#to("thinking"), [timer, stop];
    return [timer, stop, ...this.#respond(this.#pendingText)];
  }

  /** The final of an interruption, with words, after the agent resumed at the bound: a barge-in now. */
  #lateFinal(text: string): TurnAction[] {
    this.#pendingText = join(this.#pendingText, text);
    const stop = this.#stop("barge_in");
    if (this.#finishing > 0) return this.#to("thinking"), [stop];
    return [stop, ...this.#respond(this.#pendingText)];
  }

  #close(): TurnAction[] {
    const actions: TurnAction[] = [];
    if (this.#state === "interrupted") actions.push({ type: "cancel_interruption_timer" });
    actions.push(...this.#cancelUtterances());
    if (this.#response === "audible") actions.push(this.#stop("client_stop"));
    else actions.push(...this.#cancelResponse());
    this.#to("closed");
    return actions;
  }

  #startUtterance(next: TurnState): TurnAction[] {
    this.#recording = true;
    this.#to(next);
    return [{ type: "start_utterance" }];
  }

  #cancelUtterances(): TurnAction[] {
    if (!this.#recording && this.#finishing === 0) return [];
    this.#recording = false;
    this.#finishing = 0;
    return [{ type: "cancel_utterance" }];
  }

  #cancelResponse(): TurnAction[] {
    if (this.#response === "none") return [];
    this.#response = "none";
    return [{ type: "cancel_response" }];
  }

  #stop(reason: InterruptReason): TurnAction {
    this.#response = "none";
    return { type: "stop_response", reason };
  }

  #respond(text: string): TurnAction[] {
    this.#pendingText = "";
    this.#response = "preparing";
    this.#responseInput = text;
    this.#to("thinking");
    return [{ type: "start_response", text }];
  }

  #to(next: TurnState): void {
    const from = this.#state;
    if (from === next) return;
    this.#state = next;
    this.onChange?.(from, next);
  }
}

function join(a: string, b: string): string {
  return [a.trim(), b.trim()].filter((s) => s.length > 0).join(" ");
}
