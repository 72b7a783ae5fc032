/**
 * WAV (RIFF/WAVE) reading and writing: PCM s16 and IEEE float32, mono or multi-channel (downmixed to mono on read).
 * Bad files get an error that says what is wrong (`WavFormatError`), never a garbage signal.
 *
 * @module
 */
import { downmix } from "./pcm.ts";

/** A WAV file that cannot be read, with the reason in the message. */
export class WavFormatError extends Error {
  override name = "WavFormatError";
}

/** Sample encodings this module reads and writes. */
export type WavSampleFormat = "pcm16" | "float32";

/** A decoded WAV file. */
export interface WavAudio {
  sampleRate: number;
  /** Channels in the file (the samples below are always mono). */
  channels: number;
  format: WavSampleFormat;
  /** Mono samples, −1…1 (s16 / 32768); channels averaged. */
  samples: Float32Array;
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

function fourcc(view: DataView, offset: number): string {
  return String.fromCharCode(...new Uint8Array(view.buffer, view.byteOffset + offset, 4));
}

interface FmtChunk {
  format: WavSampleFormat;
  channels: number;
  sampleRate: number;
  blockAlign: number;
}

function parseFmt(view: DataView, offset: number, size: number): FmtChunk {
  if (size < 16) throw new WavFormatError(`fmt chunk is ${size} bytes; it must be at least 16`);
  let code = view.getUint16(offset, true);
  const channels = view.getUint16(offset + 2, true);
  const sampleRate = view.getUint32(offset + 4, true);
  const blockAlign = view.getUint16(offset + 12, true);
  const bits = view.getUint16(offset + 14, true);
  if (code === FORMAT_EXTENSIBLE) {
    if (size < 26) throw new WavFormatError("WAVE_FORMAT_EXTENSIBLE fmt chunk is too short to hold its sub-format");
    code = view.getUint16(offset + 24, true); // first two bytes of the sub-format GUID
  }
  if (channels === 0) throw new WavFormatError("fmt chunk says 0 channels");
  if (sampleRate === 0) throw new WavFormatError("fmt chunk says sample rate 0 Hz");
  let format: WavSampleFormat;
  if (code === FORMAT_PCM && bits === 16) format = "pcm16";
  else if (code === FORMAT_FLOAT && bits === 32) format = "float32";
  else {
    throw new WavFormatError(
      `unsupported sample format: format code ${code} with ${bits} bits per sample ` +
        "(supported: PCM 16-bit, IEEE float 32-bit)",
    );
  }
  const expectedAlign = channels * (bits / 8);
  if (blockAlign !== expectedAlign) {
    throw new WavFormatError(
      `fmt block align is ${blockAlign}; ${channels} channel(s) of ${bits} bits need ${expectedAlign}`,
    );
  }
  return { format, channels, sampleRate, blockAlign };
}

/** Decodes a WAV file held in memory. */
export function readWav(bytes: Uint8Array): WavAudio {
  if (bytes.byteLength < 12) throw new WavFormatError(`file is ${bytes.byteLength} bytes, too short for a RIFF header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const riff = fourcc(view, 0);
  if (riff !== "RIFF") {
    throw new WavFormatError(
      `not a RIFF file: starts with ${JSON.stringify(riff)}${
        riff === "RIFX" ? " (big-endian RIFX is not supported)" : ""
      }`,
    );
  }
  const wave = fourcc(view, 8);
  if (wave !== "WAVE") throw new WavFormatError(`RIFF type is ${JSON.stringify(wave)}, not "WAVE"`);

  let fmt: FmtChunk | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.byteLength) {
    const id = fourcc(view, offset);
    let size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    const remaining = bytes.byteLength - body;
    if (id === "fmt ") {
      if (size > remaining) throw new WavFormatError(`fmt chunk claims ${size} bytes but only ${remaining} remain`);
      fmt = parseFmt(view, body, size);
    } else if (id === "data") {
      if (!fmt) throw new WavFormatError('data chunk comes before the "fmt " chunk');
      // Streaming writers leave the size as 0 or 0xFFFFFFFF: read to the end of the file.
      const riffSize = view.getUint32(4, true);
      const unpatched = size === 0xffffffff || (size === 0 && (riffSize === 0 || riffSize === 0xffffffff));
      if (unpatched) size = remaining - (remaining % fmt.blockAlign);
      if (size > remaining) {
        throw new WavFormatError(`data chunk claims ${size} bytes but only ${remaining} remain (truncated file?)`);
      }
      if (size % fmt.blockAlign !== 0) {
        throw new WavFormatError(`data chunk is ${size} bytes, not a whole number of ${fmt.blockAlign}-byte frames`);
      }
      return {
        sampleRate: fmt.sampleRate,
        channels: fmt.channels,
        format: fmt.format,
        samples: decode(view, body, size, fmt),
      };
    }
    offset = body + size + (size % 2); // chunks are padded to even sizes
  }
  throw new WavFormatError(fmt ? "no data chunk" : 'no "fmt " chunk');
}

function decode(view: DataView, offset: number, size: number, fmt: FmtChunk): Float32Array {
  const count = size / (fmt.format === "pcm16" ? 2 : 4);
  const interleaved = new Float32Array(count);
  if (fmt.format === "pcm16") {
    for (let i = 0; i < count; i++) interleaved[i] = view.getInt16(offset + 2 * i, true) / 32768;
  } else {
    for (let i = 0; i < count; i++) interleaved[i] = view.getFloat32(offset + 4 * i, true);
  }
  return downmix(interleaved, fmt.channels);
}

/** What to write: interleaved samples (s16 as Int16Array, float as Float32Array). */
export interface WavWriteInput {
  sampleRate: number;
  samples: Int16Array | Float32Array;
  /** Default 1. */
  channels?: number;
}

/** Encodes a WAV file: Int16Array samples as PCM 16-bit, Float32Array samples as IEEE float 32-bit. */
export function writeWav({ sampleRate, samples, channels = 1 }: WavWriteInput): Uint8Array {
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new RangeError(`bad sample rate ${sampleRate}`);
  if (!Number.isInteger(channels) || channels <= 0 || samples.length % channels !== 0) {
    throw new RangeError(`${samples.length} samples do not split into ${channels} channel(s)`);
  }
  const isFloat = samples instanceof Float32Array;
  const width = isFloat ? 4 : 2;
  const dataSize = samples.length * width;
  const out = new Uint8Array(44 + dataSize);
  const view = new DataView(out.buffer);
  const text = (at: number, s: string) => [...s].forEach((c, i) => view.setUint8(at + i, c.charCodeAt(0)));
  text(0, "RIFF");
  view.setUint32(4, 36 + dataSize, true);
  text(8, "WAVE");
  text(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, isFloat ? FORMAT_FLOAT : FORMAT_PCM, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * channels * width, true);
  view.setUint16(32, channels * width, true);
  view.setUint16(34, width * 8, true);
  text(36, "data");
  view.setUint32(40, dataSize, true);
  for (let i = 0; i < samples.length; i++) {
    if (isFloat) view.setFloat32(44 + 4 * i, samples[i], true);
    else view.setInt16(44 + 2 * i, samples[i], true);
  }
  return out;
}

/** Reads and decodes a WAV file from disk; the error names the file. */
export async function readWavFile(path: string | URL): Promise<WavAudio> {
  const bytes = await Deno.readFile(path);
  try {
    return readWav(bytes);
  } catch (e) {
    if (e instanceof WavFormatError) throw new WavFormatError(`${path}: ${e.message}`);
    throw e;
  }
}
