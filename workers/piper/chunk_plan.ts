/**
 * Where a sentence's latent frames are cut for decoding in pieces. The first piece is small so that first audio
 * comes early; each later one is `growth` times longer, so that decoding the next piece (about an eighth of its
 * audio's duration on one core) finishes well before the audio already decoded has played out. Each cut costs the
 * decoder `2 × context` extra frames (the receptive field on both sides), hence few cuts, and none in a short tail.
 *
 * Pieces only help while the decoder keeps ahead of playback: a piece that is not ready when the audio before it has
 * played out is a gap inside a word, worse than a later start. So the plan is checked against the decoder's recent
 * speed, and a sentence that the machine cannot decode in time piece by piece (a loaded CPU) is decoded whole.
 *
 * @module
 */

/** How a sentence is cut. */
export interface ChunkPlanOptions {
  /** Frames in the first piece; 0 decodes the sentence whole. */
  firstFrames: number;
  /** Each piece is this many times longer than the one before. */
  growth: number;
  /** Frames of latent context the decoder needs on each side of a piece to reproduce the whole run exactly. */
  context: number;
  /** Decode whole when the pieces would not keep ahead of playback at the decoder's pace (default true). */
  keepAhead?: boolean;
}

/** One piece: the frames it yields [start, end) and the window decoded for it [from, to). */
export interface Chunk {
  start: number;
  end: number;
  from: number;
  to: number;
}

/** Default: 24 frames (279 ms at 22050 Hz, hop 256) first, then ×3; piper's HiFi-GAN reaches 11 frames each way. */
export const DEFAULT_CHUNK_PLAN: ChunkPlanOptions = { firstFrames: 24, growth: 3, context: 11 };

/** How fast the decoder runs now and how much audio a frame holds, both in ms per latent frame. */
export interface DecoderPace {
  decodeMsPerFrame: number;
  audioMsPerFrame: number;
}

/**
 * Share of the audio already decoded that the next piece's decoding may take (the rest is margin for a CPU whose pace
 * changes between pieces: a gap inside a word is the failure to avoid).
 */
const PLAYBACK_MARGIN = 0.5;

/**
 * True when, at `pace`, every piece after the first is decoded before the audio of the pieces before it has played
 * (playback starting when the first piece is out), with a margin.
 */
export function keepsAhead(chunks: Chunk[], pace: DecoderPace): boolean {
  let decodedAudioMs = 0;
  let decodingMs = 0;
  for (const [i, chunk] of chunks.entries()) {
    if (i > 0) {
      decodingMs += (chunk.to - chunk.from) * pace.decodeMsPerFrame;
      if (decodingMs > PLAYBACK_MARGIN * decodedAudioMs) return false;
    }
    decodedAudioMs += (chunk.end - chunk.start) * pace.audioMsPerFrame;
  }
  return true;
}

/**
 * The pieces of a sentence of `frames` latent frames, in order; one piece covering all when it is short, or when at
 * `pace` (if given) the pieces would not keep ahead of playback.
 */
export function chunkPlan(frames: number, options: ChunkPlanOptions = DEFAULT_CHUNK_PLAN, pace?: DecoderPace): Chunk[] {
  const chunks = cut(frames, options);
  const late = pace && options.keepAhead !== false && !keepsAhead(chunks, pace);
  return late ? [{ start: 0, end: frames, from: 0, to: frames }] : chunks;
}

function cut(frames: number, options: ChunkPlanOptions): Chunk[] {
  const { firstFrames, growth, context } = options;
  const chunks: Chunk[] = [];
  let start = 0;
  let size = firstFrames > 0 ? firstFrames : frames;
  while (start < frames) {
    let end = Math.min(frames, start + size);
    // A tail shorter than the context it would cost is decoded with the piece before it.
    if (frames - end < 2 * context) end = frames;
    chunks.push({ start, end, from: Math.max(0, start - context), to: Math.min(frames, end + context) });
    start = end;
    size = Math.ceil(size * growth);
  }
  return chunks;
}
