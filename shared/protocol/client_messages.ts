/**
 * JSON messages a client sends (client → server), as zod schemas shared by the server and the clients.
 * Binary messages are audio (PCM s16le mono at the rate declared in `session.start`) and are not described here.
 *
 * @module
 */
import { z } from "zod";
import { ALLOWED_INPUT_RATES } from "./limits.ts";

/** Speaker, speed and noise options passed to the TTS voice. */
export const VoiceOptionsSchema = z.strictObject({
  speed: z.number().min(0.25).max(4).optional(),
  speakerId: z.int().min(0).max(10_000).optional(),
  noiseScale: z.number().min(0).max(2).optional(),
  noiseW: z.number().min(0).max(2).optional(),
});

/** `session.start`: the first message of every connection. */
export const SessionStartSchema = z.strictObject({
  type: z.literal("session.start"),
  /** TTS model id, e.g. `piper-en-us-joe-medium`; empty: the server's default. */
  model: z.string().max(128).regex(/^[A-Za-z0-9._:-]*$/, "only letters, digits and . _ : -").optional(),
  /** Speaker index within a multi-speaker model (same as `options.speakerId`). */
  voice: z.int().min(0).max(10_000).optional(),
  /** Language of the user, e.g. `en`; empty: the ASR's default. */
  language: z.string().max(16).regex(/^[A-Za-z-]*$/, "a language code such as en or en-US").optional(),
  /** Which responder answers: the server's default when absent. */
  responder: z.enum(["echo", "llm"]).optional(),
  audio: z.strictObject({
    sampleRate: z.union(ALLOWED_INPUT_RATES.map((rate) => z.literal(rate))),
    encoding: z.literal("pcm_s16le").optional(),
  }).optional(),
  options: VoiceOptionsSchema.optional(),
});

/** `text`: typed user input, answered like a spoken turn. */
export const TextMessageSchema = z.strictObject({
  type: z.literal("text"),
  text: z.string().min(1, "text must not be empty"),
});

/** Control actions a client may take. */
export const ControlActionSchema = z.enum(["pause", "resume", "stop", "interrupt"]);

/** `control`: pause/resume agent audio, stop everything in flight, or interrupt the agent. */
export const ControlMessageSchema = z.strictObject({
  type: z.literal("control"),
  action: ControlActionSchema,
});

/** `session.end`: the client is done; the server closes with 1000. */
export const SessionEndSchema = z.strictObject({
  type: z.literal("session.end"),
});

/** Any JSON message a client may send. */
export const ClientMessageSchema = z.discriminatedUnion("type", [
  SessionStartSchema,
  TextMessageSchema,
  ControlMessageSchema,
  SessionEndSchema,
]);

/** A parsed `session.start`. */
export type SessionStart = z.infer<typeof SessionStartSchema>;
/** A parsed `text` message. */
export type TextMessage = z.infer<typeof TextMessageSchema>;
/** A control action. */
export type ControlAction = z.infer<typeof ControlActionSchema>;
/** A parsed `control` message. */
export type ControlMessage = z.infer<typeof ControlMessageSchema>;
/** Any parsed client message. */
export type ClientMessage = z.infer<typeof ClientMessageSchema>;
/** Voice options of a session. */
export type VoiceOptions = z.infer<typeof VoiceOptionsSchema>;
