/**
 * HiFT's neural-source excitation, as upstream's `SineGen2` + `SourceModuleHnNSF2` at 24 kHz: f0 (nearest-upsampled
 * ×480) → 9 harmonics whose phase is integrated at frame rate (linear down ×1/480, cumsum, linear up ×480), a random
 * initial phase per overtone, sine·amp where voiced (f0 > threshold), Gaussian noise everywhere, then Linear(9→1) +
 * tanh. The random draws come from {@linkcode SourceDraws} so that a request is reproducible from its seed, and a
 * parity test can replay upstream's draws.
 *
 * @module
 */
import type { Prng } from "./prng.ts";
import type { VoicepackManifest } from "./voicepack.ts";

/** The random inputs of one source generation: initial phases [harmonics+1] and noise [samples, harmonics+1]. */
export interface Draws {
  randIni: Float32Array;
  noise: Float32Array;
}

/** Supplies the draws for a source of `samples` samples with `dim` harmonics. */
export type SourceDraws = (samples: number, dim: number) => Draws;

/** Draws from a seeded generator (upstream: torch.rand / torch.randn). */
export function prngDraws(prng: Prng): SourceDraws {
  return (samples, dim) => {
    const randIni = new Float32Array(dim);
    for (let h = 0; h < dim; h++) randIni[h] = prng.uniform();
    const noise = new Float32Array(samples * dim);
    for (let i = 0; i < noise.length; i++) noise[i] = prng.normal();
    return { randIni, noise };
  };
}

const fr = Math.fround;

/** PyTorch `F.interpolate(mode="linear", align_corners=False)` with an explicit scale factor, one channel. */
function interpolateLinear(input: Float32Array, outLength: number, scale: number): Float32Array {
  const out = new Float32Array(outLength);
  const last = input.length - 1;
  for (let i = 0; i < outLength; i++) {
    const src = Math.max(fr(fr((i + 0.5) / scale) - 0.5), 0);
    const i0 = Math.min(Math.floor(src), last);
    const i1 = Math.min(i0 + 1, last);
    const lambda = fr(src - i0);
    out[i] = fr(fr((1 - lambda) * input[i0]) + fr(lambda * input[i1]));
  }
  return out;
}

/** The merged source `s` [frames × upsample] for frame-rate `f0`. */
export function makeSource(f0: Float32Array, hift: VoicepackManifest["hift"], draws: SourceDraws): Float32Array {
  const up = hift.upsample;
  const dim = hift.harmonics + 1;
  const frames = f0.length;
  const samples = frames * up;
  const { randIni, noise } = draws(samples, dim);
  const sine = new Float32Array(samples * dim);
  const twoPi = fr(2 * Math.PI);
  for (let h = 0; h < dim; h++) {
    const rad = new Float32Array(samples);
    for (let i = 0; i < samples; i++) {
      const fn = fr(f0[Math.floor(i / up)] * (h + 1));
      const r = fr(fn / 24000);
      rad[i] = fr(r - Math.floor(r));
    }
    if (h > 0) rad[0] = fr(rad[0] + randIni[h]);
    const down = interpolateLinear(rad, Math.floor(samples / up), 1 / up);
    const phase = new Float32Array(down.length);
    let acc = 0;
    for (let i = 0; i < down.length; i++) {
      acc += down[i];
      phase[i] = fr(fr(fr(acc) * twoPi) * up);
    }
    const upPhase = interpolateLinear(phase, samples, up);
    for (let i = 0; i < samples; i++) sine[i * dim + h] = fr(Math.sin(upPhase[i]) * hift.sine_amp);
  }
  const s = new Float32Array(samples);
  const w = hift.merge_weight;
  for (let i = 0; i < samples; i++) {
    const voiced = f0[Math.floor(i / up)] > hift.voiced_threshold ? 1 : 0;
    const amp = voiced ? hift.noise_std : hift.sine_amp / 3;
    let sum = hift.merge_bias;
    for (let h = 0; h < dim; h++) sum += w[h] * (sine[i * dim + h] * voiced + amp * noise[i * dim + h]);
    s[i] = Math.tanh(sum);
  }
  return s;
}
