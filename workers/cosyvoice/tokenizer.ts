/**
 * The Qwen2 byte-level BPE of a voicepack, read from its `tokenizer.json` with `@huggingface/tokenizers`. Like
 * upstream's `QwenTokenizer.encode`, no BOS/EOS is added.
 *
 * @module
 */
import { Tokenizer } from "@huggingface/tokenizers";

/** Text to ids with the pack's tokenizer. */
export class TextTokenizer {
  readonly #tokenizer: Tokenizer;

  private constructor(tokenizer: Tokenizer) {
    this.#tokenizer = tokenizer;
  }

  /** Reads `tokenizer.json`; throws an error naming the file when it is not a tokenizer. */
  static async load(path: string): Promise<TextTokenizer> {
    const json = JSON.parse(await Deno.readTextFile(path));
    if (!json?.model || !json?.pre_tokenizer) throw new Error(`${path} is not a Hugging Face tokenizer.json`);
    return new TextTokenizer(new Tokenizer(json, {}));
  }

  encode(text: string): number[] {
    return this.#tokenizer.encode(text, { add_special_tokens: false }).ids;
  }
}
