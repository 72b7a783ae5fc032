/**
 * The answer prepared while the endpoint is still undecided. When the VAD first hears silence after user speech, the
 * utterance's final transcript is computed at once (speculatively), and as soon as it exists the response to it
 * starts: the responder writes, the worker synthesizes, and the audio waits in the session's held pacer. If the
 * silence lasts until the endpoint, the turn's final is that same transcript and the session adopts the prepared
 * response, whose audio can leave at once; if speech comes back first, the speculative final is dropped and the
 * response stopped before anything reached the client.
 *
 * What the response reports before it is adopted is kept and replayed on adoption, so the client sees the same
 * events in the same order as for a response started at the endpoint; a response that is dropped reports nothing.
 *
 * @module
 */
import type { Transcript } from "../asr/contract.ts";
import type { AgentResponse, ResponseListener } from "./agent_response.ts";
import type { TurnTiming } from "./turn_timing.ts";

/** What the early response needs from its session. */
export interface EarlyResponseHost {
  /** True while a speculative answer may still be adopted (the user's turn is being recorded, not yet ended). */
  canPrepare(): boolean;
  /** The text the turn would answer if `final` were its last words (earlier utterances of the turn joined). */
  turnText(final: Transcript): string | null;
  /** Creates (does not run) a response to `text` that reports to `listener`. */
  createResponse(text: string, listener: ResponseListener): AgentResponse;
  /** Runs a response created by `createResponse` (its failures are reported through its listener). */
  runResponse(response: AgentResponse): void;
  /** The prepared response's audio must not leave (the session's output gate reads `holding`). */
  gateChanged(): void;
  /** Drops the prepared response's queued audio. */
  clearAudio(): void;
}

type Call = { [K in keyof ResponseListener]: [K, Parameters<ResponseListener[K]>] }[keyof ResponseListener];

/** A listener that holds every report until `open()`, then replays them and passes later ones through. */
class HeldListener implements ResponseListener {
  #calls: Call[] = [];
  #target: ResponseListener | null = null;

  #call<K extends keyof ResponseListener>(name: K, args: Parameters<ResponseListener[K]>): void {
    if (!this.#target) return void this.#calls.push([name, args] as Call);
    (this.#target[name] as (...a: Parameters<ResponseListener[K]>) => void)(...args);
  }

  onFirstText(...args: Parameters<ResponseListener["onFirstText"]>): void {
    this.#call("onFirstText", args);
  }
  onSentence(...args: Parameters<ResponseListener["onSentence"]>): void {
    this.#call("onSentence", args);
  }
  onFirstAudioReceived(...args: Parameters<ResponseListener["onFirstAudioReceived"]>): void {
    this.#call("onFirstAudioReceived", args);
  }
  onFirstFrameSent(...args: Parameters<ResponseListener["onFirstFrameSent"]>): void {
    this.#call("onFirstFrameSent", args);
  }
  onDone(...args: Parameters<ResponseListener["onDone"]>): void {
    this.#call("onDone", args);
  }
  onFailed(...args: Parameters<ResponseListener["onFailed"]>): void {
    this.#call("onFailed", args);
  }

  open(target: ResponseListener): void {
    this.#target = target;
    for (const [name, args] of this.#calls.splice(0)) (target[name] as (...a: typeof args) => void)(...args);
  }
}

interface Prepared {
  text: string;
  response: AgentResponse;
  reports: HeldListener;
}

/** The speculative final and the response prepared on it, for one session. */
export class EarlyResponse {
  readonly #host: EarlyResponseHost;
  /** The speculation in progress (its token), and the response prepared on its final once that exists. */
  #token: object | null = null;
  #prepared: Prepared | null = null;

  constructor(host: EarlyResponseHost) {
    this.#host = host;
  }

  /** True while a prepared response waits for the endpoint: its audio must not leave. */
  get holding(): boolean {
    return this.#prepared !== null;
  }

  /** The VAD heard silence after speech: `final` is the utterance's transcript so far (see `SpeechInput.speculate`). */
  speculate(final: Promise<Transcript>): void {
    this.drop();
    const token = {};
    this.#token = token;
    final.then((transcript) => {
      if (this.#token !== token || !this.#host.canPrepare()) return;
      const text = this.#host.turnText(transcript);
      if (!text) return;
      const reports = new HeldListener();
      const response = this.#host.createResponse(text, reports);
      this.#prepared = { text, response, reports };
      this.#host.gateChanged();
      this.#host.runResponse(response);
    }, () => {/* retracted, or the recognizer failed: the endpoint's final reports it */});
  }

  /**
   * The turn's answer is to start with `text`: returns the prepared response when it answers exactly that text, and
   * forgets it (`reportTo` then replays what it reported so far and passes on the rest); otherwise drops it and
   * returns null. The caller makes the response its current one before calling `reportTo`, and then opens its gate.
   */
  adopt(
    text: string,
    timing: TurnTiming,
  ): { response: AgentResponse; reportTo: (listener: ResponseListener) => void } | null {
    const prepared = this.#prepared;
    this.#prepared = null;
    this.#token = null;
    if (!prepared || prepared.text !== text) {
      if (prepared) this.#stop(prepared);
      return null;
    }
    // The turn's own timestamps (speech end, endpoint, final) join those the response took while prepared.
    Object.assign(prepared.response.timing, withoutUndefined(timing));
    return { response: prepared.response, reportTo: (listener) => prepared.reports.open(listener) };
  }

  /** Speech came back, or the turn went another way: the speculation and its response are dropped. */
  drop(): void {
    this.#token = null;
    const prepared = this.#prepared;
    this.#prepared = null;
    if (prepared) this.#stop(prepared);
  }

  #stop(prepared: Prepared): void {
    prepared.response.stop();
    this.#host.clearAudio();
    this.#host.gateChanged();
  }
}

function withoutUndefined(timing: TurnTiming): Partial<TurnTiming> {
  return Object.fromEntries(Object.entries(timing).filter(([, v]) => v !== undefined)) as Partial<TurnTiming>;
}
