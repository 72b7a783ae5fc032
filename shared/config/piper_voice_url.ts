/**
 * Where `voices:fetch` downloads a Piper voice from: `PIPER_VOICE_URL_TEMPLATE` filled in from the model id.
 * Model ids spell the voice in lower case with dashes: `piper-en-us-lessac-medium` is the voice
 * `en_US-lessac-medium` (language family `en`, language code `en_US`, name `lessac`, quality `medium`).
 *
 * @module
 */
import { MODEL_ID_PREFIX } from "../tts/models.ts";

/** The parts of a Piper voice name. */
export interface PiperVoiceName {
  /** e.g. `en` */
  langFamily: string;
  /** e.g. `en_US` */
  langCode: string;
  /** e.g. `lessac` or `libritts_r` */
  name: string;
  /** `x_low`, `low`, `medium` or `high` */
  quality: string;
}

const QUALITIES = ["x_low", "low", "medium", "high"];

/** Splits `piper-<lang>-<region>-<name>-<quality>`; `undefined` when the id does not have that shape. */
export function parsePiperModelId(modelId: string): PiperVoiceName | undefined {
  if (!modelId.startsWith(MODEL_ID_PREFIX.piper)) return undefined;
  const parts = modelId.slice(MODEL_ID_PREFIX.piper.length).split("-");
  if (parts.length < 4) return undefined;
  const [family, region] = parts;
  const quality = parts[parts.length - 1];
  const name = parts.slice(2, -1).join("-");
  if (!/^[a-z]{2,3}$/.test(family) || !/^[a-z]{2}$/i.test(region) || !QUALITIES.includes(quality)) return undefined;
  return { langFamily: family, langCode: `${family}_${region.toUpperCase()}`, name, quality };
}

/** Fills the template for one file; `ext` is `.onnx` or `.onnx.json`. */
export function piperVoiceUrl(template: string, voice: PiperVoiceName, ext: ".onnx" | ".onnx.json"): string {
  return template.replaceAll("{lang_family}", voice.langFamily).replaceAll("{lang_code}", voice.langCode)
    .replaceAll("{name}", voice.name).replaceAll("{quality}", voice.quality).replaceAll("{ext}", ext);
}
