/**
 * The speech-token LM: upstream's `Qwen2LM.inference` on the merged-id graph `llm.onnx` with a `past_key_values`
 * loop. Input: `[sos] + prompt text + text + [task_id] + prompt speech`; then one token per step, each sampled
 * token's id fed back. min_len = 2 × text tokens (eos redrawn before it), max_len = 20 × text tokens; eos ends the
 * stream; the other stop ids (6562, 6563) are skipped and, as upstream, the same input is fed again.
 *
 * @module
 */
import { f32, i64, type ort } from "./onnx_session.ts";
import type { Sampler } from "./sampling.ts";
import type { VoicepackManifest } from "./voicepack.ts";

/** upstream sampling_ids gives up after this many eos draws before min_len. */
const MAX_EOS_TRIALS = 100;

/** What one decode needs besides the graph. */
export interface TokenRequest {
  promptTextIds: readonly number[];
  textIds: readonly number[];
  promptSpeech: readonly number[];
  sampler: Sampler;
  signal: AbortSignal;
  /** Caps max_len (the flow's noise covers a bounded number of frames). */
  maxTokens?: number;
}

/** Streams speech tokens for one text piece. */
export async function* generateTokens(
  session: ort.InferenceSession,
  manifest: VoicepackManifest,
  request: TokenRequest,
): AsyncGenerator<number> {
  const V = manifest.text_vocab;
  const { eos } = manifest.speech;
  const { layers, kv_heads, head_dim } = manifest.llm;
  let input = [
    V + manifest.speech.vocab + 3,
    ...request.promptTextIds,
    ...request.textIds,
    V + manifest.speech.vocab + 4,
    ...request.promptSpeech.map((s) => V + s),
  ];
  const minLen = request.textIds.length * manifest.sampling.min_ratio;
  let maxLen = request.textIds.length * manifest.sampling.max_ratio;
  if (request.maxTokens !== undefined) maxLen = Math.min(maxLen, request.maxTokens);
  let past: Record<string, ort.Tensor> = {};
  for (let i = 0; i < layers; i++) {
    for (const kind of ["key", "value"]) {
      past[`past_key_values.${i}.${kind}`] = f32(new Float32Array(0), [1, kv_heads, 0, head_dim]);
    }
  }
  const decoded: number[] = [];
  for (let step = 0; step < maxLen; step++) {
    request.signal.throwIfAborted();
    const out = await session.run({ input_ids: i64(input, [1, input.length]), ...past });
    const logp = out.logp.data as Float32Array;
    const next: Record<string, ort.Tensor> = {};
    for (const name of Object.keys(past)) next[name] = out[name.replace("past_key_values", "present")];
    past = next;
    let id = request.sampler(logp, decoded);
    for (let trial = 0; step < minLen && id === eos; trial++) {
      if (trial >= MAX_EOS_TRIALS) {
        const masked = Float32Array.from(logp);
        masked[eos] = -Infinity;
        id = request.sampler(masked, decoded);
        break;
      }
      id = request.sampler(logp, decoded);
    }
    if (id === eos) return;
    if (id > eos) continue;
    yield id;
    decoded.push(id);
    input = [V + id];
  }
}
