/**
 * Speech-token sampling as upstream's `ras_sampling` (cosyvoice/utils/common.py): nucleus + top-k over
 * softmax(log-probs), stable descending order; if the drawn id already occurs `win_size · tau_r` times among the
 * last `win_size` tokens, redraw from the full distribution. `Qwen2LM.sampling_ids` redraws while eos is drawn
 * before `min_len`. Draws come from the request's seeded {@linkcode Prng}; `greedy` takes the arg-max instead.
 *
 * @module
 */
import type { Prng } from "./prng.ts";

/** The sampling constants of a voicepack. */
export interface SamplingConfig {
  top_p: number;
  top_k: number;
  win_size: number;
  tau_r: number;
}

/** How one step chooses its token. */
export type Sampler = (logp: Float32Array, decoded: readonly number[]) => number;

function softmax(logp: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of logp) if (v > max) max = v;
  const p = new Float64Array(logp.length);
  let sum = 0;
  for (let i = 0; i < logp.length; i++) sum += p[i] = Math.exp(logp[i] - max);
  for (let i = 0; i < p.length; i++) p[i] /= sum;
  return p;
}

function draw(weights: ArrayLike<number>, ids: ArrayLike<number>, prng: Prng): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i];
  let u = prng.uniform() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i];
    if (u < 0) return ids[i];
  }
  return ids[weights.length - 1];
}

/** Upstream's nucleus sampling: the top ids by probability while cum < top_p and count < top_k. */
export function nucleus(probs: Float64Array, config: SamplingConfig, prng: Prng): number {
  const order = Array.from(probs.keys()).sort((a, b) => probs[b] - probs[a] || a - b);
  const kept: number[] = [];
  const weights: number[] = [];
  let cum = 0;
  for (const id of order) {
    if (!(cum < config.top_p && kept.length < config.top_k)) break;
    cum += probs[id];
    kept.push(id);
    weights.push(probs[id]);
  }
  return draw(weights, kept, prng);
}

/** Repetition-aware sampling with the voicepack's constants. */
export function rasSampler(config: SamplingConfig, prng: Prng): Sampler {
  return (logp, decoded) => {
    const probs = softmax(logp);
    let id = nucleus(probs, config, prng);
    const window = decoded.slice(-config.win_size);
    const repeats = window.filter((t) => t === id).length;
    if (repeats >= config.win_size * config.tau_r) id = draw(probs, Array.from(probs.keys()), prng);
    return id;
  };
}

/**
 * Arg-max, for reproducible runs and the parity tests. Asked again for the same step (the same `logp` array: the LLM
 * redraws an eos before min_len), it returns the next best id, then the one after.
 */
export function greedySampler(): Sampler {
  let last: Float32Array | null = null;
  let rank = 0;
  return (logp) => {
    rank = logp === last ? rank + 1 : 0;
    last = logp;
    const order = Array.from(logp.keys()).sort((a, b) => logp[b] - logp[a] || a - b);
    return order[Math.min(rank, order.length - 1)];
  };
}
