/**
 * Whisper's log-mel frontend, computed the way faster-whisper's `FeatureExtractor` does it so our encoder sees the
 * same numbers as the reference: 160 zero samples appended, reflect-padded centred STFT (n_fft 400, hop 160, periodic
 * Hann), the last frame dropped, power spectrum, Slaney mel filterbank (80 bins; 128 for large-v3),
 * log10(max(x, 1e-10)), clamped to (max − 8), then (x + 4) / 4.
 *
 * @module
 */
import { FftPlan } from "./fft.ts";

/** Whisper's fixed STFT geometry at 16 kHz. */
export const N_FFT = 400;
/** Samples between frames (10 ms). */
export const HOP_LENGTH = 160;
/** Frames in one 30 s encoder window. */
export const FRAMES_PER_WINDOW = 3000;
const N_BINS = N_FFT / 2 + 1;

/** A mel spectrogram: `data[mel * frames + frame]` (the `[n_mels, frames]` layout the encoder takes). */
export interface MelSpectrogram {
  data: Float32Array;
  nMels: number;
  frames: number;
}

/** Triangular filters, Slaney scale and area normalisation (librosa's default, as Whisper uses). */
export function melFilterbank(nMels: number, sampleRate = 16_000, nFft = N_FFT): Float32Array[] {
  const bins = nFft / 2 + 1;
  const fftFreqs = Array.from({ length: bins }, (_, i) => (i * sampleRate) / nFft);
  const minLogHz = 1000;
  const linearStep = 200 / 3;
  const minLogMel = minLogHz / linearStep;
  const logStep = Math.log(6.4) / 27;
  const maxMel = 45.245640471924965; // the mel of 8 kHz on this scale
  const freqs = Array.from({ length: nMels + 2 }, (_, i) => {
    const mel = (maxMel * i) / (nMels + 1);
    return mel >= minLogMel ? minLogHz * Math.exp(logStep * (mel - minLogMel)) : linearStep * mel;
  });
  const filters: Float32Array[] = [];
  for (let m = 0; m < nMels; m++) {
    const row = new Float32Array(bins);
    const norm = 2 / (freqs[m + 2] - freqs[m]);
    for (let b = 0; b < bins; b++) {
      const lower = (fftFreqs[b] - freqs[m]) / (freqs[m + 1] - freqs[m]);
      const upper = (freqs[m + 2] - fftFreqs[b]) / (freqs[m + 2] - freqs[m + 1]);
      row[b] = Math.max(0, Math.min(lower, upper)) * norm;
    }
    filters.push(row);
  }
  return filters;
}

/** A filter stored as its non-zero span, so the mel product skips the zeros. */
interface SparseFilter {
  first: number;
  weights: Float32Array;
}

/** Computes log-mel spectrograms; one instance per thread (it reuses its FFT buffers). */
export class LogMelExtractor {
  readonly nMels: number;
  private readonly fft = new FftPlan(N_FFT);
  private readonly window: Float32Array;
  private readonly filters: SparseFilter[];
  private readonly power = new Float64Array(N_BINS);

  constructor(nMels = 80) {
    if (nMels !== 80 && nMels !== 128) throw new RangeError(`Whisper uses 80 or 128 mel bins, got ${nMels}`);
    this.nMels = nMels;
    // Periodic Hann (numpy's hanning(401)[:-1]).
    this.window = Float32Array.from({ length: N_FFT }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / N_FFT));
    this.filters = melFilterbank(nMels).map((row) => {
      const first = row.findIndex((w) => w > 0);
      const last = row.findLastIndex((w) => w > 0);
      return first < 0 ? { first: 0, weights: new Float32Array(0) } : { first, weights: row.slice(first, last + 1) };
    });
  }

  /** Number of frames `compute` returns for `samples` samples (faster-whisper's content frames + 1). */
  static frameCount(samples: number): number {
    return Math.floor(samples / HOP_LENGTH) + 1;
  }

  /**
   * Log-mel of 16 kHz audio: `frameCount(samples.length)` frames, normalised over the whole clip. faster-whisper
   * feeds the encoder all but the last of them (its `content_frames`), zero-padded to the window.
   */
  compute(samples: Float32Array): MelSpectrogram {
    const padded = samples.length + HOP_LENGTH; // faster-whisper appends 160 zeros
    const frames = LogMelExtractor.frameCount(samples.length);
    const data = new Float32Array(this.nMels * frames);
    const half = N_FFT / 2;
    const { re, im } = this.fft;
    let max = -Infinity;
    for (let f = 0; f < frames; f++) {
      const start = f * HOP_LENGTH - half;
      for (let i = 0; i < N_FFT; i++) {
        const at = reflect(start + i, padded);
        re[i] = (at < samples.length ? samples[at] : 0) * this.window[i];
      }
      im.fill(0);
      this.fft.transform();
      for (let b = 0; b < N_BINS; b++) this.power[b] = re[b] * re[b] + im[b] * im[b];
      for (let m = 0; m < this.nMels; m++) {
        const { first, weights } = this.filters[m];
        let energy = 0;
        for (let k = 0; k < weights.length; k++) energy += weights[k] * this.power[first + k];
        const log = Math.log10(Math.max(energy, 1e-10));
        data[m * frames + f] = log;
        if (log > max) max = log;
      }
    }
    const floor = max - 8;
    for (let i = 0; i < data.length; i++) data[i] = (Math.max(data[i], floor) + 4) / 4;
    return { data, nMels: this.nMels, frames };
  }
}

/** numpy's "reflect" padding index (mirror without repeating the edge), repeated for pads longer than the signal. */
function reflect(index: number, length: number): number {
  if (length === 1) return 0;
  const period = 2 * (length - 1);
  let i = index % period;
  if (i < 0) i += period;
  return i < length ? i : period - i;
}

/**
 * The encoder input for a window: `frames` columns taken from `mel` starting at `start`, padded to `width` with
 * `padValue` (0.0 is what faster-whisper's `pad_or_trim` uses on the normalised features).
 */
export function melWindow(
  mel: MelSpectrogram,
  start: number,
  frames: number,
  width: number,
  padValue = 0,
): Float32Array {
  const out = new Float32Array(mel.nMels * width);
  if (padValue !== 0) out.fill(padValue);
  const count = Math.max(0, Math.min(frames, width, mel.frames - start));
  for (let m = 0; m < mel.nMels; m++) {
    const from = m * mel.frames + start;
    out.set(mel.data.subarray(from, from + count), m * width);
  }
  return out;
}

/** The quietest value in the spectrogram: the level of digital silence after the (max − 8) clamp. */
export function melFloor(mel: MelSpectrogram): number {
  let floor = Infinity;
  for (let i = 0; i < mel.data.length; i++) if (mel.data[i] < floor) floor = mel.data[i];
  return Number.isFinite(floor) ? floor : 0;
}
