/**
 * Configuration of a TTS worker (`workers/*`): gRPC server, adapter and model, model manager limits, registry
 * heartbeat, voicepacks. Keys are the environment variable names; see docs/CONFIGURATION.md for each one.
 *
 * @module
 */
import { z } from "zod";
import { commonFields } from "./common.ts";
import {
  enumField,
  envField,
  hostField,
  hostPortField,
  intField,
  isModelId,
  listField,
  modelIdField,
  msField,
  parseHostPort,
  portField,
  stringField,
} from "./fields.ts";
import { checkDeviceAvailable, type GpuProbe, probeGpu } from "./gpu.ts";
import { type ConfigCheck, type Env, loadConfigOrExit } from "./load.ts";
import { ADAPTER_TYPES, adapterOfModel, MODEL_ID_PREFIX } from "../tts/models.ts";
import { type CrossFieldRule, withRules } from "./rules.ts";
import { checkWorkerExposure } from "./exposure.ts";
import { workerTlsFields, workerTlsRules } from "./tls.ts";

/** The public piper-voices layout on Hugging Face (`{ext}` is `.onnx` or `.onnx.json`). */
export const DEFAULT_PIPER_VOICE_URL_TEMPLATE = "https://huggingface.co/rhasspy/piper-voices/resolve/main/" +
  "{lang_family}/{lang_code}/{name}/{quality}/{lang_code}-{name}-{quality}{ext}";

const workerNameField = envField<string | undefined>(
  undefined,
  (raw) =>
    /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(raw)
      ? { value: raw }
      : { problem: "must be letters, digits, '-', '_' or '.'", fix: "use a name like tts-piper-1" },
);

const urlTemplateField = envField(DEFAULT_PIPER_VOICE_URL_TEMPLATE, (raw) => {
  if (!raw.includes("{ext}")) {
    return {
      problem: "has no {ext} placeholder",
      fix: "end the template with {ext} (both .onnx and .onnx.json are fetched)",
    };
  }
  try {
    const url = new URL(raw.replace(/\{[a-z_]+\}/g, "x"));
    if (["http:", "https:", "file:"].includes(url.protocol)) return { value: raw };
  } catch {
    // reported below
  }
  return { problem: "is not an http(s) or file URL template", fix: `use e.g. ${DEFAULT_PIPER_VOICE_URL_TEMPLATE}` };
});

/** `WORKER_METRICS_PORT`: a port, `0` for any free one (the registry record carries it), or `off`. */
const metricsPortField = envField<number | "off">(0, (raw) => {
  if (raw.toLowerCase() === "off") return { value: "off" };
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? { value: n } : {
    problem: "must be a TCP port number from 0 to 65535, or off",
    fix: "use e.g. 9464 (fixed), 0 (any free port, found through the registry) or off (no metrics listener)",
  };
});

/** One entry per worker environment variable. */
export const workerFields = z.object({
  ...commonFields,
  /** Name in the registry; default `tts-<ADAPTER_TYPE>-<hostname>-<WORKER_GRPC_PORT>`. */
  WORKER_NAME: workerNameField,
  WORKER_GRPC_HOST: hostField("127.0.0.1"),
  WORKER_GRPC_PORT: portField(7002),
  /** Address others dial; default `127.0.0.1:<port>` for a wildcard host, else `<host>:<port>`. */
  WORKER_ADVERTISE_ADDRESS: hostPortField("10.0.0.5:7002"),
  /** Prometheus listener; default 0 = a free port, advertised in the registry record for discovery. */
  WORKER_METRICS_PORT: metricsPortField,
  /** Interface of the metrics listener; default `WORKER_GRPC_HOST`. */
  WORKER_METRICS_HOST: envField<string | undefined>(
    undefined,
    (raw) =>
      /^[A-Za-z0-9_.-]+$/.test(raw) || /^[0-9a-fA-F:]+$/.test(raw)
        ? { value: raw }
        : { problem: "must be a host name or IP address without scheme or port", fix: "use e.g. 0.0.0.0" },
  ),
  ADAPTER_TYPE: enumField(ADAPTER_TYPES, "piper"),
  DEFAULT_MODEL: modelIdField("piper-en-us-lessac-medium"),
  PRELOAD_MODEL_IDS: listField(),
  MODEL_IDLE_TTL_MS: msField(600_000),
  MODEL_MIN_RESIDENCY_MS: msField(60_000),
  MAX_RESIDENT_MODELS: intField(2, { min: 1, max: 64 }),
  MAX_PARALLEL_LOADS: intField(1, { min: 1, max: 16 }),
  WORKER_MAX_SESSIONS: intField(32, { min: 1, max: 10_000 }),
  WORKER_MAX_TEXT_CHARS: intField(4000, { min: 1, max: 1_000_000 }),
  WORKER_MAX_STREAM_CHARS: intField(100_000, { min: 1, max: 10_000_000 }),
  WORKER_MAX_QUEUED_CHARS: intField(16_000, { min: 1, max: 10_000_000 }),
  WORKER_FIRST_CHUNK_TIMEOUT_MS: msField(30_000, 100),
  WORKER_SESSION_LEASE_MS: msField(60_000, 1000),
  WORKER_SHUTDOWN_GRACE_MS: msField(5000),
  ...workerTlsFields,
  WORKER_HEARTBEAT_MS: msField(2000, 100),
  /** Registry entry lifetime; default 3 × `WORKER_HEARTBEAT_MS`. */
  WORKER_TTL_MS: envField<number | undefined>(
    undefined,
    (raw) =>
      /^\d+$/.test(raw) && Number(raw) >= 1
        ? { value: Number(raw) }
        : { problem: "must be a whole number of ms ≥ 1", fix: "use e.g. 6000, or leave it unset for 3 heartbeats" },
  ),
  VOICEPACKS_DIR: stringField("voicepacks"),
  PIPER_DEVICE: enumField(["cpu", "cuda"] as const, "cpu"),
  PIPER_INTRA_OP_THREADS: intField(1, { min: 1, max: 256 }),
  PIPER_VOICE_URL_TEMPLATE: urlTemplateField,
  /** CosyVoice graphs' device; `cuda` falls back to the CPU with a warning when the provider fails to load. */
  COSYVOICE_DEVICE: enumField(["cpu", "cuda"] as const, "cpu"),
  COSYVOICE_INTRA_OP_THREADS: intField(1, { min: 1, max: 256 }),
  /** Seed of each request's sampler and vocoder source (same text, same seed: same audio). */
  COSYVOICE_SEED: intField(0, { min: 0, max: 2 ** 31 - 1 }),
  /** Passed through to CUDA; logged by the cosyvoice worker. */
  CUDA_VISIBLE_DEVICES: stringField(),
});

type WorkerFields = z.output<typeof workerFields>;

const WILDCARD_HOSTS = new Set(["0.0.0.0", "::", "[::]"]);

const workerRules: CrossFieldRule<WorkerFields>[] = [
  ...workerTlsRules<WorkerFields>(),
  {
    reads: ["ADAPTER_TYPE", "DEFAULT_MODEL"],
    check: ({ ADAPTER_TYPE, DEFAULT_MODEL }) => {
      const owner = adapterOfModel(DEFAULT_MODEL);
      if (owner === ADAPTER_TYPE) return undefined;
      const prefix = MODEL_ID_PREFIX[ADAPTER_TYPE];
      return {
        variable: "DEFAULT_MODEL",
        problem: `does not belong to ADAPTER_TYPE=${ADAPTER_TYPE} (its models start with "${prefix}")`,
        fix: owner
          ? `set DEFAULT_MODEL to a ${prefix}* model, or set ADAPTER_TYPE=${owner} to serve ${DEFAULT_MODEL}`
          : `set DEFAULT_MODEL to a ${prefix}* model (e.g. ${prefix === "mock-" ? "mock-440hz" : `${prefix}…`})`,
      };
    },
  },
  {
    reads: ["ADAPTER_TYPE", "PRELOAD_MODEL_IDS"],
    check: ({ ADAPTER_TYPE, PRELOAD_MODEL_IDS }) => {
      const bad = PRELOAD_MODEL_IDS.filter((id) => !isModelId(id) || adapterOfModel(id) !== ADAPTER_TYPE);
      if (bad.length === 0) return undefined;
      return {
        variable: "PRELOAD_MODEL_IDS",
        problem: `lists ${bad.join(", ")}, not ${
          MODEL_ID_PREFIX[ADAPTER_TYPE]
        }* models of ADAPTER_TYPE=${ADAPTER_TYPE}`,
        fix: `remove them or list only ${MODEL_ID_PREFIX[ADAPTER_TYPE]}* ids, comma-separated`,
      };
    },
  },
  {
    reads: ["WORKER_HEARTBEAT_MS", "WORKER_TTL_MS"],
    check: ({ WORKER_HEARTBEAT_MS, WORKER_TTL_MS }) =>
      WORKER_TTL_MS !== undefined && WORKER_TTL_MS <= WORKER_HEARTBEAT_MS
        ? {
          variable: "WORKER_TTL_MS",
          problem: `must be longer than WORKER_HEARTBEAT_MS=${WORKER_HEARTBEAT_MS}, or the entry expires between beats`,
          fix: `set WORKER_TTL_MS to at least ${WORKER_HEARTBEAT_MS * 2} (default: 3 × WORKER_HEARTBEAT_MS)`,
        }
        : undefined,
  },
  {
    reads: ["WORKER_ADVERTISE_ADDRESS"],
    check: ({ WORKER_ADVERTISE_ADDRESS }) => {
      const host = WORKER_ADVERTISE_ADDRESS && parseHostPort(WORKER_ADVERTISE_ADDRESS)?.host;
      return host && WILDCARD_HOSTS.has(host)
        ? {
          variable: "WORKER_ADVERTISE_ADDRESS",
          problem: "is a wildcard address that nobody can dial",
          fix: "set it to this machine's reachable address, e.g. 10.0.0.5:7002 or tts-piper:7002",
        }
        : undefined;
    },
  },
];

/** Fills the defaults that depend on other variables. */
function deriveDefaults(v: WorkerFields) {
  let hostname = "localhost";
  try {
    hostname = Deno.hostname();
  } catch {
    // --allow-sys=hostname not granted: a stable placeholder beats refusing to start.
  }
  const host = WILDCARD_HOSTS.has(v.WORKER_GRPC_HOST)
    ? "127.0.0.1"
    : v.WORKER_GRPC_HOST.includes(":")
    ? `[${v.WORKER_GRPC_HOST}]`
    : v.WORKER_GRPC_HOST;
  return {
    ...v,
    WORKER_NAME: v.WORKER_NAME ?? `tts-${v.ADAPTER_TYPE}-${hostname}-${v.WORKER_GRPC_PORT}`,
    WORKER_ADVERTISE_ADDRESS: v.WORKER_ADVERTISE_ADDRESS ?? `${host}:${v.WORKER_GRPC_PORT}`,
    WORKER_TTL_MS: v.WORKER_TTL_MS ?? 3 * v.WORKER_HEARTBEAT_MS,
    WORKER_METRICS_HOST: v.WORKER_METRICS_HOST ?? v.WORKER_GRPC_HOST,
  };
}

/** The worker schema: fields, cross-field rules, derived defaults. */
export const workerConfigSchema = withRules(workerFields, workerRules).transform(deriveDefaults);

/** A validated worker configuration. */
export type WorkerConfig = z.output<typeof workerConfigSchema>;

/** `PIPER_DEVICE=cuda` on a piper worker needs a GPU. */
export function checkPiperDevice(probe: () => GpuProbe = probeGpu): ConfigCheck<WorkerConfig> {
  return (config) => ({
    problems: config.ADAPTER_TYPE === "piper" ? checkDeviceAvailable("PIPER_DEVICE", config.PIPER_DEVICE, probe()) : [],
  });
}

/**
 * The checks a worker runs after the schema: a GPU for `PIPER_DEVICE=cuda`. Whether the model is installed is the
 * worker's own decision, from its adapter's catalogue (`workers/runtime/model_choice.ts`). An exposed worker must be
 * locked (call credential, Redis password).
 */
export function workerConfigChecks(probe: () => GpuProbe = probeGpu): ConfigCheck<WorkerConfig>[] {
  return [checkPiperDevice(probe), checkWorkerExposure<WorkerConfig>()];
}

/** Loads the worker config with all checks, or prints every problem and exits 1. */
export function loadWorkerConfigOrExit(env: Env = Deno.env.toObject()): WorkerConfig {
  return loadConfigOrExit(workerConfigSchema, "worker", env, workerConfigChecks());
}
