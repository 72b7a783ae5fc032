/**
 * Text to Piper phonemes, grouped by sentence, the way piper-tts does it: espeak-ng IPA per clause with
 * language-switch flags removed, the clause's punctuation appended (a space after `,` `:` `;`), split into Unicode
 * code points after NFD normalisation, and a new sentence after each sentence-ending clause.
 *
 * @module
 */
import { scanClauses } from "./clause_scanner.ts";
import type { Espeak } from "./espeak.ts";

/** A sentence as Piper phonemes (one string per code point). */
export type PhonemeSentence = string[];

const LANGUAGE_FLAG = /\([^)]+\)/g;

function clausePhonemes(ipa: string, terminator: string): string[] {
  let text = ipa.replace(LANGUAGE_FLAG, "") + terminator;
  if (terminator === "," || terminator === ":" || terminator === ";") text += " ";
  return [...text.normalize("NFD")];
}

/**
 * IPA per clause with Piper's terminators. espeak-ng reads the whole text (so cross-clause context is its own);
 * when its clause count differs from the scanner's, each scanned clause is read on its own instead.
 */
function clausesWithTerminators(espeak: Espeak, text: string, voice: string) {
  const scanned = scanClauses(text);
  const ipa = espeak.clauses(text, voice);
  if (ipa.length === scanned.length) return scanned.map((c, i) => ({ ...c, ipa: ipa[i] }));
  return scanned.map((c) => ({ ...c, ipa: espeak.clauses(text.slice(c.start, c.end), voice).join(" ") }));
}

/** Phonemes of `text` per sentence for an espeak-type voice (empty sentences dropped). */
export function phonemizeEspeak(espeak: Espeak, text: string, voice: string): PhonemeSentence[] {
  const sentences: PhonemeSentence[] = [];
  let current: string[] = [];
  for (const clause of clausesWithTerminators(espeak, text, voice)) {
    current.push(...clausePhonemes(clause.ipa, clause.terminator));
    if (clause.endOfSentence) {
      sentences.push(current);
      current = [];
    }
  }
  if (current.length) sentences.push(current);
  return sentences.filter((s) => s.length > 0);
}

/** Phonemes of `text` for a `phoneme_type: "text"` voice: the NFD code points themselves, one sentence. */
export function phonemizeCodepoints(text: string): PhonemeSentence[] {
  const phonemes = [...text.normalize("NFD")];
  return phonemes.length ? [phonemes] : [];
}
