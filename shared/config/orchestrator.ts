/**
 * Configuration of the orchestrator: listeners, auth, ASR, VAD, turn-taking, responder, routing, LiveKit.
 * Keys are the environment variable names; see docs/CONFIGURATION.md for each one.
 *
 * To add a variable: add a field to `orchestratorFields` (and a rule to `orchestratorRules` when it depends on
 * another variable), then add it with its default and a one-line comment to `.env.example` and
 * docs/CONFIGURATION.md (the parity test fails until you do).
 *
 * @module
 */
import { z } from "zod";
import { commonFields } from "./common.ts";
import { parseRange } from "../net/address_ranges.ts";
import { checkOrchestratorExposure } from "./exposure.ts";
import {
  boolField,
  enumField,
  envField,
  hostField,
  hostPortField,
  intField,
  listField,
  modelIdField,
  msField,
  numberField,
  portField,
  stringField,
  urlField,
} from "./fields.ts";
import { checkDeviceAvailable, type GpuProbe, probeGpu } from "./gpu.ts";
import { type ConfigCheck, type Env, loadConfigOrExit } from "./load.ts";
import { adapterOfModel } from "../tts/models.ts";
import { type CrossFieldRule, type RuleViolation, withRules } from "./rules.ts";
import { orchestratorWorkerTlsFields, orchestratorWorkerTlsRules } from "./tls.ts";

/** Shortest accepted `ORCHESTRATOR_TOKEN_SECRET`, in characters. */
export const MIN_TOKEN_SECRET_CHARS = 32;

const tokenSecretField = envField<string | undefined>(
  undefined,
  (raw) =>
    raw.length >= MIN_TOKEN_SECRET_CHARS ? { value: raw } : {
      problem: `is ${raw.length} characters; it must be at least ${MIN_TOKEN_SECRET_CHARS}`,
      fix: "generate one with `openssl rand -hex 32`, or leave it unset",
    },
);

/** Address ranges whose `X-Forwarded-*` headers are believed: loopback unless configured. */
export const DEFAULT_TRUSTED_PROXIES = ["127.0.0.1/8", "::1"];

const trustedProxiesField = envField<string[]>(DEFAULT_TRUSTED_PROXIES, (raw) => {
  const entries = [...new Set(raw.split(",").map((s) => s.trim()).filter(Boolean))];
  const bad = entries.filter((e) => !parseRange(e));
  return bad.length
    ? {
      problem: `has entries that are not addresses or CIDR ranges: ${bad.join(", ")}`,
      fix: "use e.g. 10.0.0.0/8,::1",
    }
    : { value: entries };
});

const originListField = envField<string[]>([], (raw) => {
  const entries = [...new Set(raw.split(",").map((s) => s.trim().replace(/\/$/, "")).filter(Boolean))];
  const bad = entries.filter((e) => {
    try {
      const url = new URL(e);
      return !["http:", "https:"].includes(url.protocol) || url.origin !== e.toLowerCase();
    } catch {
      return true;
    }
  });
  return bad.length
    ? {
      problem: `has entries that are not origins: ${bad.join(", ")}`,
      fix: "write origins like https://voice.example.com:8443",
    }
    : { value: entries.map((e) => e.toLowerCase()) };
});

/** One entry per orchestrator environment variable. */
export const orchestratorFields = z.object({
  ...commonFields,
  ORCHESTRATOR_HOST: hostField("127.0.0.1"),
  ORCHESTRATOR_WS_PORT: portField(8080),
  ORCHESTRATOR_HEALTH_PORT: portField(8081),
  /** Accepted client API keys; empty = development mode (no key needed). */
  ORCHESTRATOR_API_KEYS: listField(),
  ORCHESTRATOR_TOKEN_SECRET: tokenSecretField,
  /** During a rotation: tokens signed with this secret are accepted too (none are minted with it). */
  ORCHESTRATOR_TOKEN_SECRET_ACCEPT: tokenSecretField,
  ORCHESTRATOR_MAX_SESSIONS_PER_KEY: intField(8, { min: 1, max: 10_000 }),
  /** WebSocket connections one client address may hold; more are answered 429 before the upgrade. */
  ORCHESTRATOR_MAX_CONNECTIONS_PER_ADDRESS: intField(16, { min: 1, max: 100_000 }),
  ...orchestratorWorkerTlsFields,
  ASR_ENGINE: enumField(["whisper", "pocketsphinx"] as const, "whisper"),
  ASR_DEVICE: enumField(["auto", "cpu", "cuda"] as const, "auto"),
  ASR_MODEL_SIZE: enumField(["tiny", "base", "small", "medium"] as const, "tiny"),
  ASR_LANGUAGE: envField(
    "en",
    (raw) =>
      /^[a-z]{2,3}$/i.test(raw)
        ? { value: raw.toLowerCase() }
        : { problem: "must be a 2- or 3-letter language code", fix: "use e.g. en, de, fr" },
  ),
  ASR_MODELS_DIR: stringField("models/whisper"),
  ASR_PARTIAL_INTERVAL_MS: msField(500, 50),
  /**
   * Encoder window of finals: `fit` encodes the utterance plus `ASR_FIT_PADDING_FRAMES` (several times cheaper, the
   * latency default); `full` the whole 30 s window (transcripts identical to faster-whisper's, ~250 ms more per turn).
   */
  ASR_FINAL_WINDOW: enumField(["fit", "full"] as const, "fit"),
  /** Padding frames (10 ms each) after the audio in a `fit` window; 1500 measured as accurate as the full window. */
  ASR_FIT_PADDING_FRAMES: intField(1500, { min: 0, max: 3000 }),
  WHISPER_MODEL_URL_TEMPLATE: urlField(
    "https://huggingface.co/csukuangfj/sherpa-onnx-whisper-{name}/resolve/main/{file}",
    ["http", "https", "file"],
  ),
  VAD_MODEL_PATH: stringField("models/silero/silero_vad_v5.onnx"),
  VAD_THRESHOLD: numberField(0.5, 0, 1),
  VAD_MIN_SPEECH_MS: msField(100),
  VAD_MIN_SILENCE_MS: msField(300),
  VAD_SPEECH_PAD_MS: msField(30),
  FALSE_INTERRUPTION_MS: msField(700),
  BARGE_IN_GUARD_MS: msField(0),
  BARGE_IN_EARLY_HOLD: boolField(true),
  EARLY_RESPONSE: boolField(true),
  RESPONDER: enumField(["echo", "llm"] as const, "echo"),
  LLM_BASE_URL: urlField(undefined, ["http", "https"]),
  LLM_API_KEY: stringField(),
  LLM_MODEL: stringField(),
  LLM_SYSTEM_PROMPT: stringField("You are a helpful voice assistant. Answer briefly, in plain spoken sentences."),
  ROUTING_POLICY: enumField(["least_loaded", "round_robin", "affinity"] as const, "least_loaded"),
  /** Static worker address, used when the registry has no worker (or without Redis). */
  TTS_WORKER_ADDRESS: hostPortField("127.0.0.1:7002"),
  // Unset: each worker's own default, whatever it really serves (a worker falls back when its voice is missing).
  DEFAULT_MODEL: modelIdField(""),
  /** No worker audio for this long while audio is due (and no health answer as long) moves the speech elsewhere. */
  TTS_STALL_TIMEOUT_MS: msField(5000, 100),
  /** gRPC ping period to the workers in use; a silent link (cut, frozen host) is noticed within about two. */
  TTS_KEEPALIVE_MS: msField(15_000, 100),
  PACER_LEAD_MS: intField(60, { min: 0, max: 2000, unit: "ms" }),
  LIVEKIT_URL: urlField(undefined, ["ws", "wss", "http", "https"]),
  LIVEKIT_API_KEY: stringField(),
  LIVEKIT_API_SECRET: stringField(),
  LIVEKIT_PUBLIC_URL: urlField(undefined, ["ws", "wss"]),
  WEB_ALLOWED_ORIGINS: originListField,
  /** The page's own origin(s) as browsers see them, e.g. `https://voice.example.com:8443`. */
  PUBLIC_ORIGIN: originListField,
  /** Anyone who loads the page from PUBLIC_ORIGIN may talk, even when API keys are configured. */
  WEB_PUBLIC: boolField(false),
  TRUSTED_PROXIES: trustedProxiesField,
  LLM_MAX_TOKENS: intField(300, { min: 1, max: 32_768 }),
  /** LLM turns one principal may start per minute. */
  LLM_TURNS_PER_MINUTE: intField(30, { min: 1, max: 100_000 }),
  /** The seed's faster-whisper setting: the ONNX Whisper here runs float32 only. */
  ASR_COMPUTE_TYPE: envField<string>(
    "float32",
    (raw) =>
      ["float32", "default", "auto"].includes(raw.toLowerCase()) ? { value: "float32" } : {
        problem: `is not supported: the ONNX Whisper engine runs its float32 models (faster-whisper's ${raw} has no ` +
          "equivalent here)",
        fix: "remove ASR_COMPUTE_TYPE or set it to float32; use ASR_MODEL_SIZE and ASR_DEVICE to trade speed",
      },
  ),
  /** `true`: user and agent transcripts are written to the log at info (default: never). */
  TRANSCRIPT_LOG: boolField(false),
  /** Register with LiveKit as an agent worker of this name and let LiveKit dispatch rooms; unset: join rooms here. */
  LIVEKIT_AGENT_NAME: stringField(),
  /** Rooms and sessions at which this orchestrator reports itself full to LiveKit's dispatch. */
  LIVEKIT_AGENT_CAPACITY: intField(20, { min: 1, max: 10_000 }),
});

type OrchestratorFields = z.output<typeof orchestratorFields>;

function requireSet(values: OrchestratorFields, names: (keyof OrchestratorFields & string)[], why: string) {
  return names.filter((n) => values[n] === undefined).map((n): RuleViolation => ({
    variable: n,
    problem: `is required when ${why}`,
    fix: `set ${n}, or change ${why.split("=")[0]}`,
  }));
}

/** Rules over several orchestrator variables. */
export const orchestratorRules: CrossFieldRule<OrchestratorFields>[] = [
  ...orchestratorWorkerTlsRules<OrchestratorFields>(),
  {
    reads: ["WEB_PUBLIC", "PUBLIC_ORIGIN"],
    check: (v) =>
      v.WEB_PUBLIC && v.PUBLIC_ORIGIN.length === 0
        ? {
          variable: "PUBLIC_ORIGIN",
          problem: "is required when WEB_PUBLIC=true (browser requests are checked against it, never against Host)",
          fix: "set PUBLIC_ORIGIN to the page's origin, e.g. https://voice.example.com:8443",
        }
        : undefined,
  },
  {
    reads: ["RESPONDER", "LLM_BASE_URL", "LLM_MODEL"],
    check: (v) => v.RESPONDER === "llm" ? requireSet(v, ["LLM_BASE_URL", "LLM_MODEL"], "RESPONDER=llm") : undefined,
  },
  {
    reads: ["ORCHESTRATOR_WS_PORT", "ORCHESTRATOR_HEALTH_PORT"],
    check: (v) =>
      v.ORCHESTRATOR_WS_PORT === v.ORCHESTRATOR_HEALTH_PORT
        ? {
          variable: "ORCHESTRATOR_HEALTH_PORT",
          problem: `is the same port as ORCHESTRATOR_WS_PORT (${v.ORCHESTRATOR_WS_PORT})`,
          fix: "give the health endpoint its own port, e.g. ORCHESTRATOR_HEALTH_PORT=8081",
        }
        : undefined,
  },
  {
    reads: ["LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"],
    check: (v) => {
      const names = ["LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"] as const;
      const set = names.filter((n) => v[n] !== undefined);
      if (set.length === 0 || set.length === names.length) return undefined;
      return names.filter((n) => v[n] === undefined).map((n): RuleViolation => ({
        variable: n,
        problem: `is required because ${set.join(" and ")} ${set.length === 1 ? "is" : "are"} set`,
        fix: `set all of ${names.join(", ")} to use LiveKit, or none of them for the WebSocket transport only`,
      }));
    },
  },
  {
    reads: ["ASR_ENGINE", "ASR_DEVICE"],
    check: (v) =>
      v.ASR_ENGINE === "pocketsphinx" && v.ASR_DEVICE === "cuda"
        ? {
          variable: "ASR_DEVICE",
          problem: "is cuda, but pocketsphinx runs on the CPU only",
          fix: "set ASR_DEVICE=cpu (or auto), or ASR_ENGINE=whisper to use the GPU",
        }
        : undefined,
  },
  {
    reads: ["DEFAULT_MODEL"],
    check: (v) =>
      v.DEFAULT_MODEL && adapterOfModel(v.DEFAULT_MODEL) === undefined
        ? {
          variable: "DEFAULT_MODEL",
          problem: "has no known adapter prefix (piper-, cosyvoice2-, mock-)",
          fix: "use e.g. piper-en-us-lessac-medium, cosyvoice2-en-base or mock-440hz",
        }
        : undefined,
  },
];

/** The orchestrator schema: fields and cross-field rules. */
export const orchestratorConfigSchema = withRules(orchestratorFields, orchestratorRules);

/** A validated orchestrator configuration. `ASR_DEVICE` is as requested; resolve it with `resolveAsrDevice`. */
export type OrchestratorConfig = z.output<typeof orchestratorConfigSchema>;

/** `ASR_DEVICE=cuda` needs a GPU (the probe runs only in that case). */
export function checkAsrDevice(probe: () => GpuProbe = probeGpu): ConfigCheck<OrchestratorConfig> {
  return (config) => ({
    problems: config.ASR_DEVICE === "cuda" ? checkDeviceAvailable("ASR_DEVICE", config.ASR_DEVICE, probe()) : [],
  });
}

/**
 * Development mode (empty `ORCHESTRATOR_API_KEYS`) only on loopback, strong secrets on an exposed orchestrator,
 * a Redis password beyond loopback (see `exposure.ts`).
 */
export const checkExposure: ConfigCheck<OrchestratorConfig> = checkOrchestratorExposure<OrchestratorConfig>();

/** The checks the orchestrator runs after the schema. */
export function orchestratorConfigChecks(probe: () => GpuProbe = probeGpu): ConfigCheck<OrchestratorConfig>[] {
  return [checkAsrDevice(probe), checkExposure];
}

/** Loads the orchestrator config with all checks, or prints every problem and exits 1. */
export function loadOrchestratorConfigOrExit(env: Env = Deno.env.toObject()): OrchestratorConfig {
  return loadConfigOrExit(orchestratorConfigSchema, "orchestrator", env, orchestratorConfigChecks());
}
