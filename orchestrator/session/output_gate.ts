/**
 * The one gate on a session's agent output. Its inputs: the turn machine's `hold_output` … `resume_output` (a barge-in
 * being judged; the hold also ends with the held response), the client's `pause`/`resume`, and brief holds (an
 * undecided speech onset, see `onset_hold.ts`; a prepared answer waiting for the endpoint, see `early_response.ts`).
 * Output is held while any input holds it; the session applies a change once per dispatch. The machine's and the
 * client's holds also pause the worker stream; a brief hold only holds the pacer, and the worker may go on filling it.
 *
 * @module
 */

/** What a change of the gate does. */
export interface GateTarget {
  /** Stop sending agent frames (the unsent ones are kept). */
  holdAudio(): void;
  releaseAudio(): void;
  /** Pause the worker stream. */
  pauseWorker(): void;
  resumeWorker(): void;
}

/** The output gate of one session. */
export class OutputGate {
  #target: GateTarget;
  #machine = false;
  #client = false;
  #brief = false;
  #held = false;
  #paused = false;

  constructor(target: GateTarget) {
    this.#target = target;
  }

  /** The machine's hold: set by `hold_output`, cleared by `resume_output` or when the held response ends. */
  set machine(hold: boolean) {
    this.#machine = hold;
  }

  /** The client's pause. */
  set client(paused: boolean) {
    this.#client = paused;
  }

  /** A brief hold of the audio only. */
  set brief(hold: boolean) {
    this.#brief = hold;
  }

  /** Holds or releases the output when the inputs changed it. */
  apply(): void {
    const pause = this.#machine || this.#client;
    const hold = pause || this.#brief;
    if (hold !== this.#held) {
      this.#held = hold;
      if (hold) this.#target.holdAudio();
      else this.#target.releaseAudio();
    }
    if (pause !== this.#paused) {
      this.#paused = pause;
      if (pause) this.#target.pauseWorker();
      else this.#target.resumeWorker();
    }
  }
}
