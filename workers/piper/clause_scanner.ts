/**
 * Finds the clauses espeak-ng reads in a text and the terminator Piper attaches to each one.
 *
 * Piper asks espeak-ng for phonemes clause by clause and appends the clause's punctuation (`.`, `?`, `!`, `,`, `:`,
 * `;`, or nothing), starting a new sentence (one model run) after sentence-ending clauses. The espeak-ng build on
 * npm returns the clauses but not their terminators, so this scanner re-derives them with espeak-ng's own reading
 * rules for English text (clause ends at punctuation followed by a space, a bracket or the end; a dot before a
 * lower-case word or with no word before it is not an end; `?!` runs count once; three dots are an ellipsis; a
 * blank line is a paragraph). The phonemizer checks its clause count against espeak-ng's.
 *
 * @module
 */

/** One clause: its UTF-16 range in the text, Piper's terminator string, and whether a sentence ends with it. */
export interface ScannedClause {
  start: number;
  end: number;
  terminator: "" | "." | "?" | "!" | "," | ":" | ";";
  endOfSentence: boolean;
}

interface Punct {
  /** Piper's string for it; "" when espeak-ng flags it in a way Piper does not map (full-width, ellipsis). */
  terminator: ScannedClause["terminator"];
  sentence: boolean;
  /** Ends a clause even without a following space (full-width marks, ellipsis). */
  noSpaceNeeded: boolean;
  questionOrExclamation: boolean;
}

function punct(terminator: ScannedClause["terminator"], sentence: boolean, noSpaceNeeded = false): Punct {
  const questionOrExclamation = terminator === "?" || terminator === "!";
  return { terminator: noSpaceNeeded ? "" : terminator, sentence, noSpaceNeeded, questionOrExclamation };
}

const PUNCTUATION = new Map<string, Punct>([
  [".", punct(".", true)],
  ["?", punct("?", true)],
  ["!", punct("!", true)],
  [",", punct(",", false)],
  [":", punct(":", false)],
  [";", punct(";", false)],
  ["–", punct(";", false)],
  ["—", punct(";", false)],
  ["…", punct(";", false, true)],
  ["。", punct(".", true, true)],
  ["？", punct("?", true, true)],
  ["！", punct("!", true, true)],
  ["，", punct(",", false, true)],
  ["、", punct(",", false, true)],
  ["：", punct(":", false, true)],
  ["；", punct(";", false, true)],
]);
// Full-width ? and ! keep their question/exclamation nature for run collapsing.
PUNCTUATION.get("？")!.questionOrExclamation = true;
PUNCTUATION.get("！")!.questionOrExclamation = true;

const BRACKETS = new Set([
  ..."()[]{}<>\"'`«»‹›",
  ..."\u2014\u2015\u2016\u2017\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f",
]);

const isSpace = (c: string | undefined) => c !== undefined && /\s/u.test(c);
const isAlnum = (c: string | undefined) => c !== undefined && /[\p{L}\p{N}]/u.test(c);
const isLower = (c: string | undefined) => c !== undefined && /\p{Ll}/u.test(c);

/** Code points of `text` with their UTF-16 offsets. */
function codePoints(text: string): { chars: string[]; offsets: number[] } {
  const chars: string[] = [];
  const offsets: number[] = [];
  let offset = 0;
  for (const ch of text) {
    chars.push(ch);
    offsets.push(offset);
    offset += ch.length;
  }
  offsets.push(offset);
  return { chars, offsets };
}

/** The clauses of `text` in espeak-ng's reading, each with Piper's terminator. */
export function scanClauses(text: string): ScannedClause[] {
  const { chars, offsets } = codePoints(text);
  const n = chars.length;
  const clauses: ScannedClause[] = [];
  let clauseStart = 0;
  let anyAlnum = false;
  let prev = " ";

  const close = (endIndex: number, nextStart: number, terminator: ScannedClause["terminator"], sentence: boolean) => {
    clauses.push({ start: offsets[clauseStart], end: offsets[endIndex], terminator, endOfSentence: sentence });
    clauseStart = nextStart;
    anyAlnum = false;
    prev = " ";
  };

  for (let i = 0; i < n; i++) {
    let c1 = chars[i];
    if (isAlnum(c1)) anyAlnum = true;

    if (c1 === "\n") {
      let k = i + 1;
      let blank = false;
      while (k < n && isSpace(chars[k])) blank ||= chars[k++] === "\n";
      if (blank && k < n) {
        close(i, k, "", true); // a paragraph: espeak-ng's paragraph type has no Piper terminator
        i = k - 1;
        continue;
      }
    }

    if (c1 === "." && chars[i + 1] === ".") {
      let j = i;
      while (chars[j + 1] === ".") j++;
      if (j - i >= 2) {
        c1 = "…";
        i = j;
      }
    }

    let kind = PUNCTUATION.get(c1);
    if (kind) {
      if (kind.questionOrExclamation) {
        while (PUNCTUATION.get(chars[i + 1] ?? "")?.questionOrExclamation) i++;
      }
      const c2 = chars[i + 1];
      const eof = i + 1 >= n;
      const ends = eof || isSpace(c2) || kind.noSpaceNeeded || BRACKETS.has(c2) || c2 === "?";
      if (ends) {
        let k = i + 1;
        let newlines = 0;
        while (k < n && isSpace(chars[k])) if (chars[k++] === "\n") newlines++;
        const next = chars[k];
        let isEnd = true;
        if (newlines === 0) {
          // This espeak-ng build reads "., " like a dot: "U.S., Canada" ends a sentence, "p.m., you" does not.
          if (c1 === "," && prev === ".") kind = PUNCTUATION.get(".")!;
          if (kind === PUNCTUATION.get(".")) {
            if (next === "'" && chars[k + 1] === "s") isEnd = false;
            if (isLower(next)) isEnd = false;
          }
          if (!anyAlnum) isEnd = false;
        }
        if (isEnd) {
          const paragraph = newlines > 1;
          close(i + 1, k, paragraph ? "" : kind.terminator, paragraph || kind.sentence);
          if (k >= n) return clauses;
          i = k - 1;
          continue;
        }
      }
    }
    prev = c1;
  }
  close(n, n, "", true);
  return clauses;
}
