/**
 * Tokens to mel: the flow encoder graph (`flow_encoder_stream` with the 3 lookahead tokens as context, or
 * `flow_encoder_final`), then upstream's `CausalConditionalCFM`: Euler steps over the cosine schedule
 * t_k = 1 − cos(k/steps · π/2) from upstream's fixed noise, the estimator run on a batch of 2 (conditional, and
 * with mu/spks/cond zeroed), v = (1 + cfg)·v_cond − cfg·v_uncond. Arithmetic on t follows upstream's float32 order.
 *
 * @module
 */
import { f32, i64, type ort } from "./onnx_session.ts";
import type { Voicepack } from "./voicepack.ts";

const MELS = 80;
const fr = Math.fround;

/** The four flow graphs of a pack. */
export interface FlowSessions {
  encoderStream: ort.InferenceSession;
  encoderFinal: ort.InferenceSession;
  estimatorStream: ort.InferenceSession;
  estimatorFull: ort.InferenceSession;
}

/** A mel spectrogram, [80, frames] row-major. */
export interface Mel {
  data: Float32Array;
  frames: number;
}

/** The Euler time points in float32, as `1 - cos(linspace(0, 1, steps + 1) * 0.5 * pi)`. */
export function cosineSchedule(steps: number): number[] {
  const span: number[] = [];
  for (let k = 0; k <= steps; k++) {
    const lin = fr(k === steps ? 1 : fr(k * fr(1 / steps)));
    span.push(fr(1 - fr(Math.cos(fr(fr(lin * 0.5) * fr(Math.PI))))));
  }
  return span;
}

/**
 * Runs the flow on `prompt tokens ++ tokens` (for `streaming`, the last `lookahead` tokens are context) and returns
 * the generated mel, prompt frames removed.
 */
export async function runFlow(
  sessions: FlowSessions,
  pack: Voicepack,
  tokens: readonly number[],
  streaming: boolean,
  signal: AbortSignal,
): Promise<Mel> {
  const { manifest, noise, promptMel } = pack;
  const all = [...manifest.voice.prompt_speech_tokens, ...tokens];
  const encoder = streaming ? sessions.encoderStream : sessions.encoderFinal;
  const encoded = await encoder.run({
    token: i64(all, [1, all.length]),
    embedding: f32(Float32Array.from(manifest.voice.embedding), [1, 192]),
  });
  const mu = encoded.mu.data as Float32Array;
  const spks = encoded.spks.data as Float32Array;
  const T = encoded.mu.dims[2];
  const promptFrames = manifest.voice.prompt_mel_shape[0];
  const noiseFrames = manifest.flow.noise_shape[1];
  if (T > noiseFrames) {
    throw new Error(`utterance too long for the flow: ${T} mel frames, the noise has ${noiseFrames}`);
  }

  const x = new Float32Array(MELS * T);
  for (let c = 0; c < MELS; c++) x.set(noise.subarray(c * noiseFrames, c * noiseFrames + T), c * T);
  const size = MELS * T;
  const xIn = new Float32Array(2 * size);
  const muIn = new Float32Array(2 * size);
  muIn.set(mu.subarray(0, size));
  const condIn = new Float32Array(2 * size);
  for (let t = 0; t < promptFrames && t < T; t++) {
    for (let c = 0; c < MELS; c++) condIn[c * T + t] = promptMel[t * MELS + c];
  }
  const spksIn = new Float32Array(2 * MELS);
  spksIn.set(spks.subarray(0, MELS));
  const mask = new Float32Array(2 * T).fill(1);
  const estimator = streaming ? sessions.estimatorStream : sessions.estimatorFull;
  const span = cosineSchedule(manifest.flow.steps);
  const cfg = manifest.flow.cfg_rate;
  let t = span[0];
  let dt = fr(span[1] - span[0]);
  for (let step = 1; step < span.length; step++) {
    signal.throwIfAborted();
    xIn.set(x);
    xIn.set(x, size);
    const out = await estimator.run({
      x: f32(xIn, [2, MELS, T]),
      mask: f32(mask, [2, 1, T]),
      mu: f32(muIn, [2, MELS, T]),
      t: f32(Float32Array.of(t, t), [2]),
      spks: f32(spksIn, [2, MELS]),
      cond: f32(condIn, [2, MELS, T]),
    });
    const v = out.estimator_out.data as Float32Array;
    for (let i = 0; i < size; i++) {
      const guided = fr(fr((1 + cfg) * v[i]) - fr(cfg * v[size + i]));
      x[i] = fr(x[i] + fr(dt * guided));
    }
    t = fr(t + dt);
    if (step < span.length - 1) dt = fr(span[step + 1] - t);
  }
  const frames = T - promptFrames;
  const mel = new Float32Array(MELS * frames);
  for (let c = 0; c < MELS; c++) mel.set(x.subarray(c * T + promptFrames, (c + 1) * T), c * frames);
  return { data: mel, frames };
}
