/** The pipeline's TypeScript stages on their own: sampling, text front end, STFT/iSTFT, the seeded source. */
import assert from "node:assert/strict";
import { Prng } from "../../../workers/cosyvoice/prng.ts";
import { greedySampler, rasSampler } from "../../../workers/cosyvoice/sampling.ts";
import { istft, stft } from "../../../workers/cosyvoice/stft.ts";
import { normalizeEnglish, numberToWords, splitParagraph } from "../../../workers/cosyvoice/text_frontend.ts";

const CONFIG = { top_p: 0.8, top_k: 25, win_size: 10, tau_r: 0.1 };

function logpOf(probs: Record<number, number>, size = 50): Float32Array {
  const logp = new Float32Array(size).fill(Math.log(1e-9));
  for (const [id, p] of Object.entries(probs)) logp[Number(id)] = Math.log(p);
  return logp;
}

Deno.test("RAS sampling keeps to the nucleus (top-p 0.8) while the drawn id is new", () => {
  const sampler = rasSampler(CONFIG, new Prng(1));
  const logp = logpOf({ 3: 0.5, 7: 0.35, 9: 0.15 });
  const seen = new Set<number>();
  for (let i = 0; i < 200; i++) seen.add(sampler(logp, []));
  assert.deepEqual([...seen].sort(), [3, 7], "cum < 0.8 keeps 3 (0.5) and 7 (0.85); 9 is cut");
});

Deno.test("RAS sampling redraws from the full distribution once the id already occurred in the window", () => {
  const sampler = rasSampler(CONFIG, new Prng(2));
  const logp = logpOf({ 3: 0.85, 9: 0.15 });
  const counts = new Map<number, number>();
  for (let i = 0; i < 400; i++) {
    const id = sampler(logp, [3]);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  assert.ok((counts.get(9) ?? 0) > 20, `9 is reachable only through the full-distribution redraw: ${[...counts]}`);
});

Deno.test("the same seed gives the same draws, another seed other draws", () => {
  const logp = new Float32Array(6564).fill(Math.log(1 / 6564));
  const run = (seed: number) => {
    const sampler = rasSampler(CONFIG, new Prng(seed));
    const out: number[] = [];
    for (let i = 0; i < 20; i++) out.push(sampler(logp, out));
    return out;
  };
  assert.deepEqual(run(5), run(5));
  assert.notDeepEqual(run(5), run(6));
});

Deno.test("greedy sampling takes the arg-max, and the next best when asked again for the same step", () => {
  const sampler = greedySampler();
  const logp = logpOf({ 3: 0.5, 7: 0.3, 9: 0.2 });
  assert.equal(sampler(logp, []), 3);
  assert.equal(sampler(logp, []), 7);
  assert.equal(sampler(Float32Array.from(logp), []), 3);
});

Deno.test("the English front end spells out numbers like inflect and packs pieces like split_paragraph", () => {
  assert.equal(numberToWords(105), "one hundred and five");
  assert.equal(numberToWords(2024), "two thousand and twenty-four");
  assert.equal(normalizeEnglish("It costs  42 dollars"), "It costs forty-two dollars");
  assert.equal(normalizeEnglish("keep <|endofprompt|> 7"), "keep <|endofprompt|> 7");
  const words = (t: string) => t.split(/\s+/).filter(Boolean).length;
  assert.deepEqual(splitParagraph("Hi there. How are you", words), ["Hi there. How are you."]);
  const long = Array.from({ length: 8 }, (_, i) => `Sentence ${i} has exactly twelve words in it, counted by the test.`)
    .join(" ");
  const pieces = splitParagraph(long, words);
  assert.ok(pieces.length >= 2, "over 80 tokens is cut");
  for (const piece of pieces.slice(0, -1)) assert.ok(words(piece) > 60 && words(piece) <= 84, piece);
  assert.deepEqual(splitParagraph("... !", words), [], "punctuation-only pieces are dropped");
});

Deno.test("STFT then iSTFT (n_fft 16, hop 4, Hann, centered) gives the signal back", () => {
  const x = new Float32Array(480 * 3).map((_, i) => Math.sin(i / 7) * 0.5 + Math.cos(i / 3) * 0.2);
  const spectrum = stft(x, 16, 4);
  assert.equal(spectrum.frames, x.length / 4 + 1);
  const bins = 9;
  const magnitude = new Float32Array(bins * spectrum.frames);
  const phase = new Float32Array(bins * spectrum.frames);
  for (let i = 0; i < magnitude.length; i++) {
    const re = spectrum.data[i], im = spectrum.data[bins * spectrum.frames + i];
    magnitude[i] = Math.hypot(re, im);
    phase[i] = Math.atan2(im, re);
  }
  const back = istft(magnitude, phase, spectrum.frames, 16, 4);
  assert.equal(back.length, x.length);
  for (let i = 0; i < x.length; i++) assert.ok(Math.abs(back[i] - x[i]) < 1e-4, `sample ${i}`);
});
