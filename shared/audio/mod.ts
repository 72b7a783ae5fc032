/**
 * Audio for every service: the wire format, PCM helpers, the streaming resampler, the frame packetizer, WAV files.
 *
 * @module
 */
export * from "./format.ts";
export * from "./packetizer.ts";
export * from "./pcm.ts";
export * from "./resampler.ts";
export * from "./wav.ts";
