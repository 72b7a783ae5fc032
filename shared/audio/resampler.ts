/**
 * A stateful streaming resampler for any rational ratio (22050→48000, 24000→48000, 48000→16000, 44100→16000, …).
 *
 * Method: polyphase windowed sinc. The ratio out/in is reduced to L/M with the gcd; output sample n sits at input
 * time t = n·M/L, and is Σ x[i]·g(t − i) over the input samples within the kernel's reach, where g is a sinc
 * low-pass (cut-off at the lower of the two Nyquist frequencies) shaped by a Kaiser window. The L phases of g are
 * tabulated once per instance; each table row is normalised to unity DC gain so no phase is louder than another.
 *
 * Alignment and latency: output sample n is exactly input time n·M/L (output and input start together; nothing is
 * shifted). To compute it the resampler needs `latencyInputSamples` samples of input beyond that time, so it holds
 * back that much; `flush()` releases the tail at the end of the stream by treating the future as silence.
 *
 * Streaming: state (recent input and the position of the next output) carries across calls, and every output
 * sample is computed by the same arithmetic in the same order whatever the chunking, so chunked and one-shot
 * output are bit-for-bit identical, for the float and the int16 API alike, and chunk boundaries leave no clicks.
 *
 * @module
 */

/** Tuning of the filter. The defaults give about 86 dB of stop-band attenuation. */
export interface ResamplerOptions {
  /** Kernel half-width in samples at the lower of the two rates (default 32, i.e. 64 taps). */
  halfTaps?: number;
  /** Kaiser window β (default 8.6). */
  kaiserBeta?: number;
}

/** The most filter coefficients one instance may tabulate (phases × taps), 4 MB of float32. */
const MAX_TABLE_SIZE = 1_000_000;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind (series; converges fast for the β used here). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

function sinc(x: number): number {
  return x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
}

/** A streaming resampler for one stream; create one per stream and feed it chunks in order. */
export class StreamingResampler {
  /** Input sample rate in Hz. */
  readonly inRate: number;
  /** Output sample rate in Hz. */
  readonly outRate: number;
  /** Input samples held back to compute the current output (the algorithmic latency). */
  readonly latencyInputSamples: number;

  readonly #up: number; // L
  readonly #down: number; // M
  readonly #downWhole: number; // floor(M / L)
  readonly #downRest: number; // M mod L
  readonly #taps: number; // coefficients per phase: 2R rounded up to a multiple of 4 (for the unrolled loop)
  readonly #back: number; // taps reaching before the output's integer position: taps − R − 1
  readonly #table: Float32Array; // L rows × taps

  /** Input history; index 0 is the oldest sample kept. Starts with `#back` zeros (silence before the stream). */
  #buf: Float32Array;
  #len = 0;
  /** Buffer index of the integer input position of the next output, and its phase (0..L-1). */
  #pos = 0;
  #phase = 0;
  /** Input samples received since the stream started, and outputs produced (for flush's exact count). */
  #received = 0;
  #produced = 0;
  /** Scratch for int16 input, grown only when a bigger chunk arrives. */
  #scratch = new Float32Array(0);

  /**
   * @throws RangeError when a rate is not a positive integer, or the ratio needs an unreasonably large table
   *   (e.g. 44099→48000, whose reduced ratio is 48000/44099).
   */
  constructor(inRate: number, outRate: number, options: ResamplerOptions = {}) {
    if (!Number.isInteger(inRate) || inRate <= 0 || !Number.isInteger(outRate) || outRate <= 0) {
      throw new RangeError(`sample rates must be positive whole numbers of Hz, got ${inRate} → ${outRate}`);
    }
    const { halfTaps = 32, kaiserBeta = 8.6 } = options;
    this.inRate = inRate;
    this.outRate = outRate;
    const g = gcd(inRate, outRate);
    const up = outRate / g;
    const down = inRate / g;
    this.#up = up;
    this.#down = down;
    this.#downWhole = Math.floor(down / up);
    this.#downRest = down % up;

    // Cut-off relative to the input Nyquist frequency: 1 when upsampling, out/in when downsampling.
    const scale = Math.min(1, up / down);
    // Kernel half-width in input samples; equal rates get a one-sample kernel (identity).
    const reach = up === down ? 1 : halfTaps / scale;
    const r = Math.ceil(reach);
    this.latencyInputSamples = r;
    // Output time t = ip + f (0 ≤ f < 1) reaches inputs ip − R + 1 … ip + R; extra taps go on the history side.
    this.#taps = Math.ceil((2 * r) / 4) * 4;
    this.#back = this.#taps - r - 1;
    if (up * this.#taps > MAX_TABLE_SIZE) {
      throw new RangeError(
        `resampling ${inRate} → ${outRate} Hz reduces to ${up}/${down}, which needs a ${up}×${this.#taps} filter ` +
          "table; resample through a common rate (e.g. 48000) instead",
      );
    }
    this.#table = StreamingResampler.#buildTable(
      up,
      this.#taps,
      this.#back,
      up === down ? 0 : reach,
      scale,
      kaiserBeta,
    );
    this.#buf = new Float32Array(Math.max(4096, 4 * this.#taps));
    this.#len = this.#back;
    this.#pos = this.#back;
  }

  /** Row p holds the weights of input samples pos − back … pos − back + taps − 1 for output time pos + p/L. */
  static #buildTable(up: number, taps: number, back: number, reach: number, scale: number, beta: number) {
    const table = new Float32Array(up * taps);
    if (reach === 0) {
      table[back] = 1; // equal rates: identity
      return table;
    }
    const norm = besselI0(beta);
    const row = new Float64Array(taps);
    for (let p = 0; p < up; p++) {
      let sum = 0;
      for (let k = 0; k < taps; k++) {
        const u = p / up + back - k; // output time minus input sample time, in input samples
        const w = Math.abs(u) >= reach ? 0 : besselI0(beta * Math.sqrt(1 - (u / reach) ** 2)) / norm;
        row[k] = scale * sinc(scale * u) * w;
        sum += row[k];
      }
      for (let k = 0; k < taps; k++) table[p * taps + k] = row[k] / sum;
    }
    return table;
  }

  /** The latency in seconds (see `latencyInputSamples`). */
  get latencySeconds(): number {
    return this.latencyInputSamples / this.inRate;
  }

  /** Resamples the next chunk of a float stream (nominally −1…1); returns every output sample now computable. */
  process(input: Float32Array): Float32Array {
    this.#append(input);
    const out = new Float32Array(this.#available());
    this.#produce(out, out.length, false);
    return out;
  }

  /** Resamples the next chunk of an s16 stream; rounds and clips the output to s16. */
  processInt16(input: Int16Array): Int16Array {
    if (this.#scratch.length < input.length) this.#scratch = new Float32Array(input.length);
    const scratch = this.#scratch;
    for (let i = 0; i < input.length; i++) scratch[i] = input[i] / 32768;
    this.#append(scratch.subarray(0, input.length));
    const out = new Int16Array(this.#available());
    this.#produce(out, out.length, true);
    return out;
  }

  /**
   * Ends the stream: returns the remaining output (the input's last `latencyInputSamples` worth, computed with
   * silence after the end), so that the total output is ceil(inputLength · out / in) samples. The resampler is then
   * reset for a new stream.
   */
  flush(): Float32Array {
    const out = new Float32Array(this.#finish());
    this.#produce(out, out.length, false);
    this.reset();
    return out;
  }

  /** `flush()` for the int16 API. */
  flushInt16(): Int16Array {
    const out = new Int16Array(this.#finish());
    this.#produce(out, out.length, true);
    this.reset();
    return out;
  }

  /** Forgets the stream (history and position); the next chunk starts a new one. */
  reset(): void {
    this.#buf.fill(0, 0, this.#back);
    this.#len = this.#back;
    this.#pos = this.#back;
    this.#phase = 0;
    this.#received = 0;
    this.#produced = 0;
  }

  /** Appends input, first dropping history no future output can reach. */
  #append(input: Float32Array): void {
    const keepFrom = this.#pos - this.#back; // the oldest sample the next output reads
    if (keepFrom > 0 && this.#len + input.length > this.#buf.length) {
      this.#buf.copyWithin(0, keepFrom, this.#len);
      this.#len -= keepFrom;
      this.#pos -= keepFrom;
    }
    if (this.#len + input.length > this.#buf.length) {
      const bigger = new Float32Array(Math.max(2 * this.#buf.length, this.#len + input.length));
      bigger.set(this.#buf.subarray(0, this.#len));
      this.#buf = bigger;
    }
    this.#buf.set(input, this.#len);
    this.#len += input.length;
    this.#received += input.length;
  }

  /** Outputs computable now: those whose kernel ends within the buffered input. */
  #available(): number {
    // Output k (from now) reads up to index pos_k + R where pos_k = pos + floor((phase + k·M) / L).
    const room = this.#len - this.latencyInputSamples - this.#pos; // pos_k must stay below pos + room
    if (room <= 0) return 0;
    return Math.max(0, Math.ceil((room * this.#up - this.#phase) / this.#down));
  }

  /** Pads with silence for the tail and returns how many outputs complete the stream. */
  #finish(): number {
    const total = Math.ceil((this.#received * this.#up) / this.#down);
    const count = Math.max(0, total - this.#produced);
    const silence = new Float32Array(this.latencyInputSamples + 1);
    const received = this.#received;
    this.#append(silence);
    this.#received = received;
    return Math.min(count, this.#available());
  }

  /** Computes `count` outputs into `out` (clipping to s16 when `int16`). */
  #produce(out: Float32Array | Int16Array, count: number, int16: boolean): void {
    const table = this.#table;
    const taps = this.#taps;
    const buf = this.#buf;
    const up = this.#up;
    const downWhole = this.#downWhole;
    const downRest = this.#downRest;
    const back = this.#back;
    let pos = this.#pos;
    let phase = this.#phase;
    for (let n = 0; n < count; n++) {
      const row = phase * taps;
      const base = pos - back;
      // Four partial sums: shorter dependency chains run faster, and the order is fixed, so results stay exact
      // across chunkings.
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let k = 0; k < taps; k += 4) {
        a0 += buf[base + k] * table[row + k];
        a1 += buf[base + k + 1] * table[row + k + 1];
        a2 += buf[base + k + 2] * table[row + k + 2];
        a3 += buf[base + k + 3] * table[row + k + 3];
      }
      const acc = (a0 + a1) + (a2 + a3);
      if (int16) {
        const s = Math.round(acc * 32768);
        out[n] = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
      } else {
        out[n] = acc;
      }
      pos += downWhole;
      phase += downRest;
      if (phase >= up) {
        phase -= up;
        pos += 1;
      }
    }
    this.#pos = pos;
    this.#phase = phase;
    this.#produced += count;
  }
}
