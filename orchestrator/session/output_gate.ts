/**
 * The one gate on a session's agent output. It has two inputs: the turn machine's `hold_output` … `resume_output`
 * (a barge-in being judged; the hold also ends with the held response) and the client's `pause`/`resume`. Output is
 * held while either holds it; the session applies a change once per dispatch, to the pacer and the worker stream.
 *
 * @module
 */

/** What a change of the gate does. */
export interface GateTarget {
  hold(): void;
  release(): void;
}

/** The output gate of one session. */
export class OutputGate {
  #target: GateTarget;
  #machine = false;
  #client = false;
  #held = false;

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

  /** Holds or releases the output when the inputs changed it. */
  apply(): void {
    const hold = this.#machine || this.#client;
    if (hold === this.#held) return;
    this.#held = hold;
    if (hold) this.#target.hold();
    else this.#target.release();
  }
}
