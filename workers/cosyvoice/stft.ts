/**
 * The short STFT/iSTFT around HiFT's decoder graph (ONNX has no complex tensors): `torch.stft` / `torch.istft` with
 * n_fft 16, hop 4, a periodic Hann window and `center=True` (reflect padding), as upstream's `_stft` / `_istft`.
 *
 * @module
 */

function hann(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
  return w;
}

/** STFT of `x`: [2·bins, frames] row-major (real parts, then imaginary parts), frames = len/hop + 1. */
export function stft(x: Float32Array, nFft: number, hop: number): { data: Float32Array; frames: number } {
  const pad = nFft / 2;
  const n = x.length;
  const padded = new Float64Array(n + 2 * pad);
  for (let i = 0; i < padded.length; i++) {
    let j = i - pad;
    if (j < 0) j = -j;
    if (j >= n) j = 2 * (n - 1) - j;
    padded[i] = x[j];
  }
  const frames = Math.floor((padded.length - nFft) / hop) + 1;
  const bins = nFft / 2 + 1;
  const window = hann(nFft);
  const out = new Float32Array(2 * bins * frames);
  for (let f = 0; f < frames; f++) {
    for (let k = 0; k < bins; k++) {
      let re = 0, im = 0;
      for (let i = 0; i < nFft; i++) {
        const v = padded[f * hop + i] * window[i];
        const angle = (2 * Math.PI * k * i) / nFft;
        re += v * Math.cos(angle);
        im -= v * Math.sin(angle);
      }
      out[k * frames + f] = re;
      out[(bins + k) * frames + f] = im;
    }
  }
  return { data: out, frames };
}

/** iSTFT of magnitude·e^{i·phase} ([bins, frames] each), overlap-added and window-normalised; len = hop·(frames−1). */
export function istft(magnitude: Float32Array, phase: Float32Array, frames: number, nFft: number, hop: number) {
  const bins = nFft / 2 + 1;
  const window = hann(nFft);
  const full = (frames - 1) * hop + nFft;
  const acc = new Float64Array(full);
  const norm = new Float64Array(full);
  const frame = new Float64Array(nFft);
  for (let f = 0; f < frames; f++) {
    frame.fill(0);
    for (let k = 0; k < bins; k++) {
      const m = magnitude[k * frames + f];
      const p = phase[k * frames + f];
      const re = m * Math.cos(p);
      const im = m * Math.sin(p);
      // Real inverse DFT of a one-sided spectrum; the DC and Nyquist imaginary parts are ignored like irfft does.
      const weight = k === 0 || k === nFft / 2 ? 1 : 2;
      for (let i = 0; i < nFft; i++) {
        const angle = (2 * Math.PI * k * i) / nFft;
        frame[i] += weight * (re * Math.cos(angle) - (k === 0 || k === nFft / 2 ? 0 : im * Math.sin(angle)));
      }
    }
    for (let i = 0; i < nFft; i++) {
      acc[f * hop + i] += (frame[i] / nFft) * window[i];
      norm[f * hop + i] += window[i] * window[i];
    }
  }
  const pad = nFft / 2;
  const length = hop * (frames - 1);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const n = norm[i + pad];
    out[i] = n > 1e-11 ? acc[i + pad] / n : 0;
  }
  return out;
}
