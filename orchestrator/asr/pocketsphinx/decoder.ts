/**
 * One pocketsphinx decoder (acoustic model, trigram LM and dictionary loaded once). A decoder serves one utterance
 * at a time; the engine keeps a pool of them. Not re-entrant: the utterance driving it awaits each call.
 *
 * @module
 */
import { argv, cString, openPocketsphinx, type PocketsphinxLibrary, PocketsphinxUnavailableError } from "./ffi.ts";

/** Debian's `pocketsphinx-en-us` model folder. */
export const DEFAULT_POCKETSPHINX_MODEL_DIR = "/usr/share/pocketsphinx/model/en-us";

/** The files a model folder must hold, relative to it. */
export const MODEL_FILES = { hmm: "en-us", lm: "en-us.lm.bin", dict: "cmudict-en-us.dict" } as const;

/** A final hypothesis with word posteriors. */
export interface Hypothesis {
  text: string;
  /** Mean posterior probability of the recognised words (0..1); 0 when nothing was recognised. */
  confidence: number;
}

/** Filler and sentence-boundary tokens that are not words of the transcript. */
const NON_WORD = /^(<s>|<\/s>|<sil>|\[.*\]|\+\+.*\+\+)$/;

/** Checks the model folder and names every missing file and the package that provides it. */
export async function checkModelDir(dir: string): Promise<void> {
  const missing: string[] = [];
  for (const file of Object.values(MODEL_FILES)) {
    try {
      await Deno.stat(`${dir}/${file}`);
    } catch {
      missing.push(`${dir}/${file}`);
    }
  }
  if (missing.length) {
    throw new PocketsphinxUnavailableError(
      `pocketsphinx model files missing: ${missing.join(", ")} — install the Debian package pocketsphinx-en-us ` +
        "(`deno task setup` does it)",
    );
  }
}

/** A loaded decoder. */
export class PocketsphinxDecoder {
  readonly #lib: PocketsphinxLibrary;
  #handle: Deno.PointerObject | null;
  readonly #score = new Int32Array(1);

  private constructor(lib: PocketsphinxLibrary, handle: Deno.PointerObject) {
    this.#lib = lib;
    this.#handle = handle;
  }

  /** Loads a decoder from `modelDir` (about 0.35 s, off the event loop). */
  static async load(modelDir: string): Promise<PocketsphinxDecoder> {
    await checkModelDir(modelDir);
    const lib = openPocketsphinx();
    const args = [
      ...["-hmm", `${modelDir}/${MODEL_FILES.hmm}`, "-lm", `${modelDir}/${MODEL_FILES.lm}`],
      ...["-dict", `${modelDir}/${MODEL_FILES.dict}`, "-logfn", "/dev/null"],
    ];
    const { pointers, keep } = argv(args);
    const config = lib.sphinxbase.cmd_ln_parse_r(null, lib.ps.ps_args(), args.length, pointers, 0);
    keep.length = 0; // the strings had to stay reachable until the call above returned
    if (config === null) {
      throw new PocketsphinxUnavailableError(`pocketsphinx refused its arguments: ${args.join(" ")}`);
    }
    // ps_init takes its own reference to the config, so ours is dropped right after.
    const handle = await lib.ps.ps_init(config);
    lib.sphinxbase.cmd_ln_free_r(config);
    if (handle === null) throw new PocketsphinxUnavailableError(`pocketsphinx could not load the model in ${modelDir}`);
    return new PocketsphinxDecoder(lib, handle);
  }

  /** Starts a new utterance (forgets the previous one). */
  start(): void {
    this.#check(this.#lib.ps.ps_start_utt(this.#live()), "ps_start_utt");
  }

  /** Decodes 16 kHz s16 samples. */
  async process(samples: Int16Array): Promise<void> {
    const searched = await this.#lib.ps.ps_process_raw(this.#live(), samples, BigInt(samples.length), 0, 0);
    this.#check(searched, "ps_process_raw");
  }

  /** The best hypothesis so far (partial, no posteriors). */
  partialText(): string {
    return normalise(cString(this.#lib.ps.ps_get_hyp(this.#live(), this.#score)));
  }

  /** Ends the utterance (final search pass) and returns the final hypothesis. */
  async end(): Promise<Hypothesis> {
    this.#check(await this.#lib.ps.ps_end_utt(this.#live()), "ps_end_utt");
    const text = normalise(cString(this.#lib.ps.ps_get_hyp(this.#live(), this.#score)));
    return { text, confidence: text ? this.#meanWordPosterior() : 0 };
  }

  /** Frees the native decoder. */
  free(): void {
    if (this.#handle) this.#lib.ps.ps_free(this.#handle);
    this.#handle = null;
  }

  #meanWordPosterior(): number {
    const { ps, sphinxbase } = this.#lib;
    const logmath = ps.ps_get_logmath(this.#live());
    const [acoustic, language, backoff] = [new Int32Array(1), new Int32Array(1), new Int32Array(1)];
    let sum = 0;
    let words = 0;
    for (let seg = ps.ps_seg_iter(this.#live()); seg !== null; seg = ps.ps_seg_next(seg)) {
      if (NON_WORD.test(cString(ps.ps_seg_word(seg)))) continue;
      const logPosterior = ps.ps_seg_prob(seg, acoustic, language, backoff);
      sum += sphinxbase.logmath_exp(logmath, logPosterior);
      words++;
    }
    return words ? Math.min(1, Math.max(0, sum / words)) : 0;
  }

  #live(): Deno.PointerObject {
    if (!this.#handle) throw new Error("pocketsphinx decoder used after it was freed");
    return this.#handle;
  }

  #check(code: number, call: string): void {
    if (code < 0) throw new Error(`pocketsphinx ${call} failed (code ${code})`);
  }
}

/** Drops filler tokens and alternative-pronunciation marks: `hello(2)` → `hello`. */
function normalise(hyp: string): string {
  return hyp.split(/\s+/).filter((w) => w && !NON_WORD.test(w)).map((w) => w.replace(/\(\d+\)$/, "")).join(" ");
}
