/**
 * The one audio format on the wire: what workers send, what the orchestrator paces out, what clients receive.
 *
 * @module
 */

/** Sample rate of all wire audio, in Hz. */
export const WIRE_SAMPLE_RATE = 48_000;
/** Duration of one wire frame, in milliseconds. */
export const FRAME_MS = 20;
/** Samples in one wire frame (mono). */
export const FRAME_SAMPLES = (WIRE_SAMPLE_RATE * FRAME_MS) / 1000; // 960
/** Bytes in one wire frame (s16le mono). */
export const FRAME_BYTES = FRAME_SAMPLES * 2; // 1920
/** Sample rate the VAD and ASR work at, in Hz. */
export const SPEECH_SAMPLE_RATE = 16_000;
