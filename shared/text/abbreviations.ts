/**
 * English abbreviations that end in a dot, for sentence splitting. Two kinds: words that are never the end of a
 * sentence (a title is followed by a name), and words that may be (an "etc." can end a sentence, so the next word
 * decides).
 *
 * @module
 */

/** Lower-cased, without the final dot: a dot after these never ends a sentence. */
const NEVER_FINAL = new Set([
  "mr",
  "mrs",
  "ms",
  "dr",
  "prof",
  "st",
  "mt",
  "ft",
  "gen",
  "capt",
  "col",
  "lt",
  "sgt",
  "rev",
  "hon",
  "gov",
  "sen",
  "rep",
  "pres",
  "e.g",
  "i.e",
  "cf",
  "vs",
  "viz",
  "approx",
  "fig",
  "figs",
  "vol",
  "pp",
  "ch",
  "dept",
  "univ",
  "ave",
  "blvd",
  "rd",
]);

/**
 * Whether a dot after `word` (the letters and inner dots before it, e.g. `Dr` or `e.g`) can end a sentence.
 * Single letters are initials ("J. K. Rowling") and never end one.
 */
export function dotMayEndSentence(word: string): boolean {
  if (word.length === 0) return true;
  if (/^\p{L}$/u.test(word)) return false;
  return !NEVER_FINAL.has(word.toLowerCase());
}
