/**
 * A mixed-radix complex FFT (Stockham autosort, radices 2–5 and any other small prime) for the non-power-of-two
 * sizes Whisper uses (n_fft = 400 = 4·4·5·5). Plans are built once per size; transforms reuse their buffers.
 *
 * @module
 */

/** A precomputed transform of one size. `transform` works in place on the plan's `re` / `im` arrays. */
export class FftPlan {
  /** Real parts: fill before {@linkcode FftPlan.transform}, read after. */
  readonly re: Float64Array;
  /** Imaginary parts. */
  readonly im: Float64Array;
  readonly size: number;
  private readonly stages: Stage[];
  private readonly spareRe: Float64Array;
  private readonly spareIm: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`FFT size must be a positive integer, got ${size}`);
    this.size = size;
    let span = 1;
    this.stages = factorize(size).map((radix) => {
      const built = buildStage(size, radix, span);
      span *= radix;
      return built;
    });
    this.re = new Float64Array(size);
    this.im = new Float64Array(size);
    this.spareRe = new Float64Array(size);
    this.spareIm = new Float64Array(size);
  }

  /** Forward DFT (e^{-2πi kn/N}) of `re + i·im`, result left in `re` / `im`. */
  transform(): void {
    const n = this.size;
    let srcRe = this.re, srcIm = this.im, dstRe = this.spareRe, dstIm = this.spareIm;
    for (const s of this.stages) {
      runStage(s, srcRe, srcIm, dstRe, dstIm, n);
      [srcRe, dstRe] = [dstRe, srcRe];
      [srcIm, dstIm] = [dstIm, srcIm];
    }
    if (srcRe !== this.re) {
      this.re.set(srcRe);
      this.im.set(srcIm);
    }
  }
}

/** Prime factors, fours first (a radix-4 stage halves the passes of two radix-2 stages). */
function factorize(n: number): number[] {
  const out: number[] = [];
  while (n % 4 === 0) {
    out.push(4);
    n /= 4;
  }
  for (let p = 2; n > 1; p++) {
    while (n % p === 0) {
      out.push(p);
      n /= p;
    }
  }
  return out;
}

const cosTables = new Map<number, Float64Array>();
const sinTables = new Map<number, Float64Array>();

function unitRoots(radix: number): [Float64Array, Float64Array] {
  let c = cosTables.get(radix);
  let s = sinTables.get(radix);
  if (!c || !s) {
    c = new Float64Array(radix);
    s = new Float64Array(radix);
    for (let k = 0; k < radix; k++) {
      c[k] = Math.cos((-2 * Math.PI * k) / radix);
      s[k] = Math.sin((-2 * Math.PI * k) / radix);
    }
    cosTables.set(radix, c);
    sinTables.set(radix, s);
  }
  return [c, s];
}

/** One Stockham pass with its twiddles: `twiddle*[j * radix + r]` multiplies input r of butterfly j. */
interface Stage {
  radix: number;
  span: number;
  twiddleRe: Float64Array;
  twiddleIm: Float64Array;
  rootCos: Float64Array;
  rootSin: Float64Array;
  vRe: Float64Array;
  vIm: Float64Array;
}

function buildStage(n: number, radix: number, span: number): Stage {
  const stride = n / radix;
  const twiddleRe = new Float64Array(stride * radix);
  const twiddleIm = new Float64Array(stride * radix);
  for (let j = 0; j < stride; j++) {
    const angle = (-2 * Math.PI * (j % span)) / (span * radix);
    for (let r = 0; r < radix; r++) {
      twiddleRe[j * radix + r] = Math.cos(r * angle);
      twiddleIm[j * radix + r] = Math.sin(r * angle);
    }
  }
  const [rootCos, rootSin] = unitRoots(radix);
  return {
    radix,
    span,
    twiddleRe,
    twiddleIm,
    rootCos,
    rootSin,
    vRe: new Float64Array(radix),
    vIm: new Float64Array(radix),
  };
}

/**
 * For each of the n/radix butterflies: twiddle its inputs (taken n/radix apart), run a radix-point DFT, and write the
 * outputs `span` apart into the destination.
 */
function runStage(
  st: Stage,
  srcRe: Float64Array,
  srcIm: Float64Array,
  dstRe: Float64Array,
  dstIm: Float64Array,
  n: number,
): void {
  const { radix, span, twiddleRe, twiddleIm, rootCos, rootSin, vRe, vIm } = st;
  const stride = n / radix;
  for (let j = 0; j < stride; j++) {
    const k = j % span;
    for (let r = 0; r < radix; r++) {
      const xr = srcRe[j + r * stride], xi = srcIm[j + r * stride];
      const c = twiddleRe[j * radix + r], s = twiddleIm[j * radix + r];
      vRe[r] = xr * c - xi * s;
      vIm[r] = xr * s + xi * c;
    }
    const base = (j - k) * radix + k;
    for (let out = 0; out < radix; out++) {
      let accRe = 0, accIm = 0;
      for (let r = 0; r < radix; r++) {
        const idx = (out * r) % radix;
        accRe += vRe[r] * rootCos[idx] - vIm[r] * rootSin[idx];
        accIm += vRe[r] * rootSin[idx] + vIm[r] * rootCos[idx];
      }
      dstRe[base + out * span] = accRe;
      dstIm[base + out * span] = accIm;
    }
  }
}
