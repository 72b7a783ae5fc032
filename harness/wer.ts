/**
 * Word error rate for ASR tests: (substitutions + deletions + insertions) / reference words, after a normalisation
 * that ignores case and punctuation (engines differ there, and it is not what the tests are about).
 *
 * @module
 */

/** Lower-case words with punctuation removed (apostrophes inside words kept: "don't"). */
export function normaliseWords(text: string): string[] {
  return text.toLowerCase().replace(/[^a-z0-9' ]+/g, " ").replace(/(^|\s)'|'(\s|$)/g, " ").split(/\s+/).filter(
    Boolean,
  );
}

/** Word-level Levenshtein distance divided by the reference length (1 when the reference is empty and the
 * hypothesis is not; 0 when both are empty). */
export function wordErrorRate(reference: string, hypothesis: string): number {
  const ref = normaliseWords(reference);
  const hyp = normaliseWords(hypothesis);
  if (ref.length === 0) return hyp.length === 0 ? 0 : 1;
  let previous = Array.from({ length: hyp.length + 1 }, (_, j) => j);
  for (let i = 1; i <= ref.length; i++) {
    const current = [i];
    for (let j = 1; j <= hyp.length; j++) {
      const substitution = previous[j - 1] + (ref[i - 1] === hyp[j - 1] ? 0 : 1);
      current[j] = Math.min(substitution, previous[j] + 1, current[j - 1] + 1);
    }
    previous = current;
  }
  return previous[hyp.length] / ref.length;
}
