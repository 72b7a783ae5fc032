/**
 * The vocabulary of the turn state machine ({@linkcode TurnStateMachine} in `turn_state.ts`): its states, the events
 * the session feeds it and the actions it asks the session to run.
 *
 * @module
 */
import type { InterruptReason } from "../../shared/protocol/server_events.ts";

/** Where the conversation is. */
export type TurnState = "listening" | "user_speaking" | "thinking" | "speaking" | "interrupted" | "closed";

/** Something that happened. */
export type TurnEvent =
  /** VAD speech onset; `guarded` when it falls inside the barge-in guard window at the start of a response. */
  | { type: "speech_start"; guarded: boolean }
  | { type: "speech_end" }
  /** A partial transcript with words in it (during an interruption it confirms a real barge-in). */
  | { type: "words" }
  /** The final transcript of a finished (not cancelled) utterance; empty when nothing was said. */
  | { type: "final"; text: string }
  | { type: "text_input"; text: string }
  /** The first agent frame of the response was sent. */
  | { type: "response_audio" }
  /** Every agent frame of the response was sent. */
  | { type: "response_done" }
  | { type: "response_failed" }
  /** No words within the false-interruption window after the interrupting speech ended. */
  | { type: "interruption_timeout" }
  /** The interrupting speech's final is still missing at the upper bound (`finalWaitBoundMs` after its end). */
  | { type: "final_wait_timeout" }
  | { type: "control"; action: "interrupt" | "stop" }
  | { type: "close" };

/** Work the session must do. */
export type TurnAction =
  | { type: "start_utterance" }
  | { type: "finish_utterance" }
  /** Cancels every utterance still recording or finishing; their finals never arrive. */
  | { type: "cancel_utterance" }
  | { type: "start_response"; text: string }
  /** Drops a response nobody heard yet (no audio sent). */
  | { type: "cancel_response" }
  /** Ends an audible response early; the conversation keeps only the text that was heard. */
  | { type: "stop_response"; reason: InterruptReason }
  /**
   * Barge-in: send no more agent frames (keep the unsent ones) and pause the worker. The hold lasts until
   * `resume_output`, or until the held response ends (stopped or failed).
   */
  | { type: "hold_output" }
  /** A false interruption: continue with the next unsent frame. */
  | { type: "resume_output" }
  | { type: "start_interruption_timer" }
  /** The window expired with the interrupting speech's final still pending: wait for it up to the upper bound. */
  | { type: "start_final_wait_timer" }
  /** Cancels the interruption timer, whichever of the two (window or final wait) is running. */
  | { type: "cancel_interruption_timer" };
