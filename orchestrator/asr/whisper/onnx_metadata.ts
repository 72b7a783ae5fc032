/**
 * Reads an ONNX file's `metadata_props` (ModelProto field 14: key/value string pairs) without loading the model:
 * onnxruntime-node does not expose custom metadata, and sherpa-onnx whisper exports keep their special token ids
 * there. Walks the top-level protobuf fields and seeks past everything else (the graph can be gigabytes).
 *
 * @module
 */

const METADATA_PROPS_FIELD = 14;
const WIRE_VARINT = 0, WIRE_FIXED64 = 1, WIRE_LENGTH = 2, WIRE_FIXED32 = 5;

/** The file is not an ONNX model (or is truncated); the message names the file. */
export class OnnxFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OnnxFormatError";
  }
}

/** Returns the model's metadata_props as a plain object. */
export async function readOnnxMetadata(path: string): Promise<Record<string, string>> {
  using file = await Deno.open(path, { read: true });
  const size = (await file.stat()).size;
  const reader = new SeekingReader(file, path);
  const meta: Record<string, string> = {};
  while (reader.position < size) {
    const tag = await reader.varint();
    const field = Math.floor(tag / 8), wire = tag % 8;
    if (wire === WIRE_VARINT) await reader.varint();
    else if (wire === WIRE_FIXED64) await reader.skip(8);
    else if (wire === WIRE_FIXED32) await reader.skip(4);
    else if (wire === WIRE_LENGTH) {
      const length = await reader.varint();
      if (field === METADATA_PROPS_FIELD) {
        const [key, value] = parseEntry(await reader.bytes(length), path);
        meta[key] = value;
      } else await reader.skip(length);
    } else throw new OnnxFormatError(`${path}: not an ONNX model (protobuf wire type ${wire} at top level)`);
  }
  if (reader.position > size) throw new OnnxFormatError(`${path}: truncated ONNX file`);
  return meta;
}

function parseEntry(bytes: Uint8Array, path: string): [string, string] {
  const decoder = new TextDecoder();
  let at = 0, key = "", value = "";
  const varint = (): number => {
    let result = 0, shift = 0;
    while (at < bytes.length) {
      const b = bytes[at++];
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
    }
    throw new OnnxFormatError(`${path}: truncated metadata entry`);
  };
  while (at < bytes.length) {
    const tag = varint();
    if (tag % 8 !== WIRE_LENGTH) throw new OnnxFormatError(`${path}: malformed metadata entry`);
    const length = varint();
    const text = decoder.decode(bytes.subarray(at, at + length));
    at += length;
    if (tag >> 3 === 1) key = text;
    else if (tag >> 3 === 2) value = text;
  }
  return [key, value];
}

/** Buffered reads with cheap forward seeks over a file. */
class SeekingReader {
  position = 0;
  private buffer = new Uint8Array(0);
  private bufferStart = 0;

  constructor(private readonly file: Deno.FsFile, private readonly path: string) {}

  private async fill(need: number): Promise<void> {
    const offset = this.position - this.bufferStart;
    if (offset >= 0 && offset + need <= this.buffer.length) return;
    const chunk = new Uint8Array(Math.max(need, 64 * 1024));
    await this.file.seek(this.position, Deno.SeekMode.Start);
    let filled = 0;
    while (filled < need) {
      const n = await this.file.read(chunk.subarray(filled));
      if (n === null) throw new OnnxFormatError(`${this.path}: truncated ONNX file`);
      filled += n;
    }
    this.buffer = chunk.subarray(0, filled);
    this.bufferStart = this.position;
  }

  async varint(): Promise<number> {
    let result = 0, shift = 0;
    for (let i = 0; i < 10; i++) {
      const [b] = await this.bytes(1);
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
    }
    throw new OnnxFormatError(`${this.path}: malformed varint`);
  }

  async bytes(count: number): Promise<Uint8Array> {
    await this.fill(count);
    const offset = this.position - this.bufferStart;
    this.position += count;
    return this.buffer.slice(offset, offset + count);
  }

  skip(count: number): Promise<void> {
    this.position += count;
    return Promise.resolve();
  }
}
