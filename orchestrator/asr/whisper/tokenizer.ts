/**
 * Byte-level BPE decoding from a sherpa-onnx `<name>-tokens.txt` (one `base64(token bytes) id` line per regular
 * token). Special tokens (id ≥ eot) are not in the file and never reach the text.
 *
 * @module
 */

/** Turns token ids back into text. */
export class WhisperTokenizer {
  private readonly pieces: (Uint8Array | undefined)[];
  private readonly decoder = new TextDecoder("utf-8", { fatal: false });

  private constructor(pieces: (Uint8Array | undefined)[], readonly eot: number) {
    this.pieces = pieces;
  }

  /** Loads a tokens file; `eot` is the first special id. */
  static async load(path: string, eot: number): Promise<WhisperTokenizer> {
    return WhisperTokenizer.parse(await Deno.readTextFile(path), eot, path);
  }

  /** Parses the text of a tokens file (`source` names it in errors). */
  static parse(text: string, eot: number, source = "tokens file"): WhisperTokenizer {
    const pieces: (Uint8Array | undefined)[] = new Array(eot);
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim();
      if (!line) continue;
      const space = line.lastIndexOf(" ");
      const id = Number(line.slice(space + 1));
      if (space <= 0 || !Number.isInteger(id) || id < 0) {
        throw new Error(`${source}:${i + 1}: expected "<base64> <id>", got ${JSON.stringify(line.slice(0, 40))}`);
      }
      if (id < eot) pieces[id] = decodeBase64(line.slice(0, space));
    }
    return new WhisperTokenizer(pieces, eot);
  }

  /** Text of the regular tokens among `ids` (special and unknown ids are skipped), invalid UTF-8 replaced. */
  decode(ids: readonly number[]): string {
    const parts: Uint8Array[] = [];
    let length = 0;
    for (const id of ids) {
      const piece = id < this.eot ? this.pieces[id] : undefined;
      if (piece) {
        parts.push(piece);
        length += piece.length;
      }
    }
    const bytes = new Uint8Array(length);
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    return this.decoder.decode(bytes);
  }
}

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
