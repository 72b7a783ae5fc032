/**
 * The HiFT vocoder: `hift_f0.onnx` (mel → f0), the source in TypeScript (`source.ts`), its STFT, `hift_decoder.onnx`
 * (mel + source spectrum → magnitude, phase), the iSTFT and the ±audio_limit clamp: upstream's
 * `HiFTGenerator.inference`, including the streaming `cache_source` that overwrites the start of the new source.
 *
 * @module
 */
import { f32, type ort } from "./onnx_session.ts";
import { makeSource, type SourceDraws } from "./source.ts";
import { istft, stft } from "./stft.ts";
import type { Mel } from "./flow.ts";
import type { VoicepackManifest } from "./voicepack.ts";

/** The two HiFT graphs of a pack. */
export interface HiftSessions {
  f0: ort.InferenceSession;
  decoder: ort.InferenceSession;
}

/** Vocodes `mel`; returns 24 kHz speech and the source used (for the next chunk's cache). */
export async function vocode(
  sessions: HiftSessions,
  hift: VoicepackManifest["hift"],
  mel: Mel,
  draws: SourceDraws,
  cacheSource: Float32Array | null,
): Promise<{ speech: Float32Array; source: Float32Array }> {
  const feat = f32(mel.data, [1, 80, mel.frames]);
  const f0 = (await sessions.f0.run({ speech_feat: feat })).f0.data as Float32Array;
  const source = makeSource(f0, hift, draws);
  if (cacheSource) source.set(cacheSource.subarray(0, Math.min(cacheSource.length, source.length)));
  const spectrum = stft(source, hift.n_fft, hift.hop);
  const out = await sessions.decoder.run({
    speech_feat: f32(mel.data, [1, 80, mel.frames]),
    source_stft: f32(spectrum.data, [1, hift.n_fft + 2, spectrum.frames]),
  });
  const frames = out.magnitude.dims[2];
  const speech = istft(
    out.magnitude.data as Float32Array,
    out.phase.data as Float32Array,
    frames,
    hift.n_fft,
    hift.hop,
  );
  for (let i = 0; i < speech.length; i++) {
    speech[i] = Math.max(-hift.audio_limit, Math.min(hift.audio_limit, speech[i]));
  }
  return { speech, source };
}
