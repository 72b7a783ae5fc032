/**
 * Phonemes to model input ids with the voice's `phoneme_id_map`: BOS (`^`) and a pad (`_`) first, then each
 * phoneme followed by a pad, then EOS (`$`). Phonemes missing from the map are dropped, with one warning per symbol.
 *
 * @module
 */

/** Beginning of sentence. */
export const BOS = "^";
/** End of sentence. */
export const EOS = "$";
/** Padding after BOS and after every phoneme. */
export const PAD = "_";

/** A voice's phoneme → ids table. */
export type PhonemeIdMap = ReadonlyMap<string, readonly number[]>;

/**
 * Converts one sentence of phonemes to ids. `onMissing` is called once per unknown symbol per `seen` set (pass the
 * same set for a whole model to warn once per symbol).
 */
export function phonemesToIds(
  phonemes: readonly string[],
  idMap: PhonemeIdMap,
  seen: Set<string> = new Set(),
  onMissing: (phoneme: string) => void = () => {},
): number[] {
  const pad = idMap.get(PAD) ?? [];
  const ids = [...(idMap.get(BOS) ?? []), ...pad];
  for (const phoneme of phonemes) {
    const mapped = idMap.get(phoneme);
    if (!mapped) {
      if (!seen.has(phoneme)) {
        seen.add(phoneme);
        onMissing(phoneme);
      }
      continue;
    }
    ids.push(...mapped, ...pad);
  }
  ids.push(...(idMap.get(EOS) ?? []));
  return ids;
}
