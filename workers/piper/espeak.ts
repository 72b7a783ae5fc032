/**
 * espeak-ng (WebAssembly, npm `@echogarden/espeak-ng-emscripten`, GPL-3.0) as a text-to-IPA engine: one instance
 * per process, loaded on first use, called synchronously (espeak-ng keeps global state; JavaScript never runs two
 * calls at once).
 *
 * @module
 */
// @ts-types="./espeak_module.d.ts"
import initEspeakModule from "@echogarden/espeak-ng-emscripten";

interface EspeakWorker {
  set_voice(name: string): number;
  text_to_phonemes(text: string, useIpa: number): { ptr: number };
}

interface EspeakModule {
  eSpeakNGWorker: new () => EspeakWorker;
  HEAPU8: Uint8Array;
  _free(ptr: number): void;
}

/** Separator the npm build puts between phonemes; it also reveals phonemes whose IPA is empty. */
const PHONEME_SEPARATOR = "_";
/** Clause separator of the npm build's text_to_phonemes. */
const CLAUSE_SEPARATOR = " | ";
/** Vowels after which espeak-ng ≥ 1.52 writes its linking phoneme as `ʲ` (the npm build's data leaves it empty). */
const LINKING_AFTER = /(i|iː|ɪ)$/;

/**
 * One word of separated phonemes to IPA: a single empty phoneme after an i-like vowel is espeak-ng's linking
 * phoneme, which Piper's espeak-ng writes as `ʲ` (e.g. "three apples" → θɹˈiːʲ ˈæpəlz); longer runs of empty
 * phonemes are pauses, which have no IPA in either build.
 */
function joinWord(word: string): string {
  const phonemes = word.split(PHONEME_SEPARATOR);
  let out = "";
  for (let i = 0; i < phonemes.length; i++) {
    if (phonemes[i] !== "") {
      out += phonemes[i];
      continue;
    }
    let j = i;
    while (j < phonemes.length && phonemes[j] === "") j++;
    if (j - i === 1 && i > 0 && LINKING_AFTER.test(phonemes[i - 1])) out += "ʲ";
    i = j - 1;
  }
  return out;
}

/** The loaded engine. */
export class Espeak {
  static #loading: Promise<Espeak> | null = null;
  #voice = "";

  private constructor(readonly module: EspeakModule, readonly worker: EspeakWorker) {}

  /** The process-wide engine (loads the WebAssembly and its 24 MB of data once). */
  static load(): Promise<Espeak> {
    Espeak.#loading ??= (async () => {
      const module = await initEspeakModule() as EspeakModule;
      return new Espeak(module, new module.eSpeakNGWorker());
    })();
    return Espeak.#loading;
  }

  /** Selects an espeak-ng voice (e.g. `en-us`); throws when the build has no such voice. */
  setVoice(voice: string): void {
    if (voice === this.#voice) return;
    const result = this.worker.set_voice(voice);
    if (result !== 0) throw new Error(`espeak-ng has no voice "${voice}" (set_voice returned ${result})`);
    this.#voice = voice;
  }

  /** IPA of each clause of `text` as espeak-ng reads it, in order (empty strings for clauses with no words). */
  clauses(text: string, voice: string): string[] {
    this.setVoice(voice);
    // A NUL would end the C string early; control characters carry no speech.
    // deno-lint-ignore no-control-regex -- removing control characters is the point
    const clean = text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, " ");
    const result = this.worker.text_to_phonemes(clean, 1);
    const raw = this.#takeString(result.ptr);
    return raw.split(CLAUSE_SEPARATOR).map((clause) => clause.split(" ").map(joinWord).join(" ").trim());
  }

  #takeString(ptr: number): string {
    const heap = this.module.HEAPU8;
    let end = ptr;
    while (heap[end] !== 0) end++;
    const text = new TextDecoder().decode(heap.subarray(ptr, end));
    this.module._free(ptr);
    return text;
  }
}
