/**
 * Loads the random-tiny pack's graphs and upstream's PyTorch outputs (`scripts/cosyvoice/reference.py`) for the
 * parity tests, and the comparison measures they report.
 *
 * @module
 */
import { join } from "node:path";
import type { PackSessions } from "../../../workers/cosyvoice/cosyvoice_model.ts";
import { openSession } from "../../../workers/cosyvoice/onnx_session.ts";
import type { Draws, SourceDraws } from "../../../workers/cosyvoice/source.ts";

/** What reference.py writes to reference.json. */
export interface Reference {
  llm: { text: string; text_ids: number[]; tokens: number[] }[];
  flow: { tokens: number[]; mel_shape: number[] };
  hift_voiced_fraction: number;
  hift: { wav_shape: number[]; rand_ini: number[]; noise_shape: number[] };
  stream: { chunk_lengths: number[]; wav_shape: number[]; calls: { rand_ini: number[]; noise_shape: number[] }[] };
}

/** Reads `<dir>/<name>.f32`. */
export async function readF32(dir: string, name: string): Promise<Float32Array> {
  const bytes = await Deno.readFile(join(dir, `${name}.f32`));
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

/** Opens every graph of a pack on the CPU. */
export async function openPack(dir: string): Promise<PackSessions> {
  const open = async (name: string) =>
    (await openSession(join(dir, name), { device: "cpu", intraOpThreads: 1, strict: true })).session;
  return {
    llm: await open("llm.onnx"),
    flow: {
      encoderStream: await open("flow_encoder_stream.onnx"),
      encoderFinal: await open("flow_encoder_final.onnx"),
      estimatorStream: await open("flow_estimator_stream.onnx"),
      estimatorFull: await open("flow_estimator_full.onnx"),
    },
    hift: { f0: await open("hift_f0.onnx"), decoder: await open("hift_decoder.onnx") },
  };
}

/** Upstream's recorded source draws, call by call. */
export async function replayDraws(dir: string, calls: { rand_ini: number[]; noise: string }[]): Promise<SourceDraws> {
  const loaded: Draws[] = [];
  for (const call of calls) {
    loaded.push({ randIni: Float32Array.from(call.rand_ini), noise: await readF32(dir, call.noise) });
  }
  let next = 0;
  return (samples, dim) => {
    const draws = loaded[next++];
    if (!draws || draws.noise.length !== samples * dim) {
      throw new Error(`vocoder call ${next - 1}: no recorded draws for ${samples} samples`);
    }
    return draws;
  };
}

/** Pearson correlation. */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) (ma += a[i], mb += b[i]);
  ma /= n;
  mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i] - ma, y = b[i] - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Largest absolute difference, and the range of `reference`. */
export function maxError(ours: ArrayLike<number>, reference: ArrayLike<number>): { max: number; range: number } {
  let max = 0, lo = Infinity, hi = -Infinity;
  for (let i = 0; i < reference.length; i++) {
    max = Math.max(max, Math.abs(ours[i] - reference[i]));
    lo = Math.min(lo, reference[i]);
    hi = Math.max(hi, reference[i]);
  }
  return { max, range: hi - lo };
}
