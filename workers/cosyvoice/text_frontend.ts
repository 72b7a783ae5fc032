/**
 * The English text front end, after upstream's `frontend.text_normalize` and `frontend_utils.split_paragraph`:
 * digit runs are spelled out (upstream uses Python `inflect`), whitespace is collapsed, and the text is packed into
 * pieces that are each synthesized on their own: cut after `. ? ! ; :`, pieces of up to 80 tokens closed only once
 * over 60, a tail under 20 tokens merged into the previous piece, punctuation-only pieces dropped.
 * Text holding `<|` and `|>` (explicit special tokens) skips normalization, as upstream.
 *
 * @module
 */

const ONES = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
  "ten",
  "eleven",
  "twelve",
  "thirteen",
  "fourteen",
  "fifteen",
  "sixteen",
  "seventeen",
  "eighteen",
  "nineteen",
]; // deno-fmt-ignore
const TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
const SCALES: [number, string][] = [[1e9, "billion"], [1e6, "million"], [1e3, "thousand"], [100, "hundred"]];

/** English words for a non-negative integer below 10^12 ("one hundred and five" style, like inflect). */
export function numberToWords(n: number): string {
  if (n < 20) return ONES[n];
  if (n < 100) return TENS[Math.floor(n / 10)] + (n % 10 ? `-${ONES[n % 10]}` : "");
  for (const [scale, name] of SCALES) {
    if (n >= scale) {
      const head = `${numberToWords(Math.floor(n / scale))} ${name}`;
      const rest = n % scale;
      if (rest === 0) return head;
      return `${head}${rest < 100 ? " and" : ","} ${numberToWords(rest)}`;
    }
  }
  return String(n);
}

/** Normalizes English text for the tokenizer: digits spelled out, whitespace collapsed. */
export function normalizeEnglish(text: string): string {
  if (text.includes("<|") && text.includes("|>")) return text;
  return text
    .replace(
      /\d+/g,
      (digits) => digits.length > 12 ? digits.split("").map((d) => ONES[+d]).join(" ") : numberToWords(+digits),
    )
    .replace(/\s+/g, " ")
    .trim();
}

const PUNCTUATION = new Set([".", "?", "!", ";", ":"]);

/** Options of {@linkcode splitParagraph}, upstream's defaults. */
export interface SplitOptions {
  tokenMax?: number;
  tokenMin?: number;
  mergeLen?: number;
}

/** Upstream's `split_paragraph` for English, counting tokens with `count`. */
export function splitParagraph(text: string, count: (text: string) => number, options: SplitOptions = {}): string[] {
  const { tokenMax = 80, tokenMin = 60, mergeLen = 20 } = options;
  if (text.length === 0) return [];
  if (!PUNCTUATION.has(text.at(-1)!)) text += ".";
  const utts: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (!PUNCTUATION.has(text[i])) continue;
    if (i > start) utts.push(text.slice(start, i) + text[i]);
    if (i + 1 < text.length && (text[i + 1] === '"' || text[i + 1] === "\u201d")) {
      utts.push(utts.pop()! + text[i + 1]);
      start = i + 2;
    } else {
      start = i + 1;
    }
  }
  const pieces: string[] = [];
  let current = "";
  for (const utt of utts) {
    if (count(current + utt) > tokenMax && count(current) > tokenMin) {
      pieces.push(current);
      current = "";
    }
    current += utt;
  }
  if (current.length > 0) {
    if (count(current) < mergeLen && pieces.length > 0) pieces[pieces.length - 1] += current;
    else pieces.push(current);
  }
  return pieces.filter((piece) => /[\p{L}\p{N}]/u.test(piece));
}
