/**
 * Validation of StartSession options: a bad option is refused with INVALID_ARGUMENT naming the field and the
 * accepted range, instead of reaching the adapter.
 *
 * @module
 */
import { status } from "@grpc/grpc-js";
import type { SessionOptions } from "../../proto/gen/tts.ts";
import type { ModelDescriptor, SynthesisOptions } from "./adapter.ts";
import { RpcError } from "./rpc_error.ts";

/** Accepted speaking-rate multipliers. */
export const SPEED_RANGE = { min: 0.25, max: 4 } as const;
const LANGUAGE_PATTERN = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/;

function invalid(message: string): RpcError {
  return new RpcError(status.INVALID_ARGUMENT, `StartSession.options.${message}`);
}

/** Turns wire options into adapter options, throwing INVALID_ARGUMENT for values out of range. */
export function toSynthesisOptions(options: SessionOptions | undefined): SynthesisOptions {
  const result: SynthesisOptions = {};
  if (!options) return result;
  if (options.speed !== undefined) {
    if (!Number.isFinite(options.speed) || options.speed < SPEED_RANGE.min || options.speed > SPEED_RANGE.max) {
      throw invalid(`speed ${options.speed} is out of range (${SPEED_RANGE.min}..${SPEED_RANGE.max})`);
    }
    result.speed = options.speed;
  }
  if (options.speakerId !== undefined) {
    if (!Number.isInteger(options.speakerId) || options.speakerId < 0) {
      throw invalid(`speaker_id ${options.speakerId} must be a non-negative integer`);
    }
    result.speakerId = options.speakerId;
  }
  for (const key of ["noiseScale", "noiseW"] as const) {
    const value = options[key];
    if (value === undefined) continue;
    if (!Number.isFinite(value) || value < 0 || value > 2) {
      throw invalid(`${key === "noiseScale" ? "noise_scale" : "noise_w"} ${value} is out of range (0..2)`);
    }
    result[key] = value;
  }
  if (options.language) {
    if (!LANGUAGE_PATTERN.test(options.language) || options.language.length > 35) {
      throw invalid(`language "${options.language.slice(0, 40)}" is not a BCP-47 tag like "en-US"`);
    }
    result.language = options.language;
  }
  return result;
}

/** Checks options that depend on the model (speaker index). */
export function checkAgainstModel(options: SynthesisOptions, model: ModelDescriptor): void {
  if (options.speakerId !== undefined && options.speakerId >= Math.max(1, model.numSpeakers)) {
    throw invalid(
      `speaker_id ${options.speakerId} is out of range: model "${model.id}" has ${model.numSpeakers} speaker(s)`,
    );
  }
}
