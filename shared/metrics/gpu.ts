/**
 * GPU gauges for processes that run on CUDA: utilisation, memory used and total, temperature, read from
 * `nvidia-smi --query-gpu=… --format=csv` on a timer (never at scrape time: a slow driver must not stall /metrics).
 *
 * The parser reads columns by their header name, so it accepts any field order and the unit suffixes nvidia-smi
 * prints with `--format=csv` (`19818 MiB`, `100 %`); `[N/A]` and `[Not Supported]` (e.g. utilisation of a GPU in MIG
 * mode) leave that value out instead of exporting a made-up 0. `CUDA_VISIBLE_DEVICES` narrows the GPUs reported to
 * the ones the process can use.
 *
 * @module
 */
import { getLogger } from "../log/mod.ts";
import type { GaugeSample, MetricsRegistry } from "./registry.ts";

const log = getLogger("metrics", "gpu");

/** The fields asked of nvidia-smi, in this order. */
export const GPU_QUERY_FIELDS = [
  "index",
  "uuid",
  "name",
  "utilization.gpu",
  "memory.used",
  "memory.total",
  "temperature.gpu",
] as const;

/** One GPU's reading. A value nvidia-smi reports as `[N/A]` is absent. */
export interface GpuReading {
  index: string;
  uuid: string;
  name: string;
  /** 0..1. */
  utilizationRatio?: number;
  memoryUsedBytes?: number;
  memoryTotalBytes?: number;
  temperatureCelsius?: number;
}

const MIB = 1024 * 1024;
const UNIT_SCALE: Record<string, number> = { "%": 0.01, "MiB": MIB, "GiB": 1024 * MIB, "KiB": 1024, "B": 1, "C": 1 };

/** `[N/A]`, `[Not Supported]`, `N/A`, `[Unknown Error]`, … */
function notAvailable(value: string): boolean {
  return value === "" || value === "N/A" || /^\[.*\]$/.test(value);
}

/** A number with an optional unit (`19818 MiB`, `100 %`, `41`) in base units; undefined when not available. */
function quantity(value: string | undefined, column: string): number | undefined {
  if (value === undefined || notAvailable(value)) return undefined;
  const match = /^(-?\d+(?:\.\d+)?)\s*([A-Za-z%]+)?$/.exec(value);
  if (!match) throw new Error(`nvidia-smi column "${column}": "${value}" is not a number`);
  const scale = match[2] === undefined ? 1 : UNIT_SCALE[match[2]];
  if (scale === undefined) throw new Error(`nvidia-smi column "${column}": unknown unit "${match[2]}"`);
  return Number(match[1]) * scale;
}

/**
 * Parses `nvidia-smi --query-gpu=<fields> --format=csv` output (with its header line). Throws with a message naming
 * the problem when there is no header or a value is not a number; a row with the wrong number of columns is an error
 * too (nvidia-smi never quotes, so a stray comma would shift every value after it).
 */
export function parseNvidiaSmiCsv(text: string): GpuReading[] {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  if (lines.length === 0) return [];
  // "memory.used [MiB]" → "memory.used"
  const columns = lines[0].split(",").map((c) => c.trim().replace(/\s*\[[^\]]*\]$/, ""));
  for (const required of ["index", "name"]) {
    if (!columns.includes(required)) {
      throw new Error(`nvidia-smi output has no "${required}" column in its header: ${lines[0].slice(0, 120)}`);
    }
  }
  return lines.slice(1).map((line, i) => {
    const values = line.split(",").map((v) => v.trim());
    if (values.length !== columns.length) {
      throw new Error(`nvidia-smi row ${i + 1} has ${values.length} values for ${columns.length} columns`);
    }
    const row = new Map(columns.map((c, k) => [c, values[k]]));
    const reading: GpuReading = { index: row.get("index")!, uuid: row.get("uuid") ?? "", name: row.get("name")! };
    const set = (key: keyof GpuReading, column: string) => {
      const value = quantity(row.get(column), column);
      if (value !== undefined) (reading[key] as number) = value;
    };
    set("utilizationRatio", "utilization.gpu");
    set("memoryUsedBytes", "memory.used");
    set("memoryTotalBytes", "memory.total");
    set("temperatureCelsius", "temperature.gpu");
    return reading;
  });
}

/**
 * Keeps the GPUs `CUDA_VISIBLE_DEVICES` lets the process use (indices or UUID prefixes, as CUDA reads them); all of
 * them when it is unset.
 */
export function visibleGpus(readings: GpuReading[], visibleDevices: string | undefined): GpuReading[] {
  if (visibleDevices === undefined) return readings;
  const wanted = visibleDevices.split(",").map((s) => s.trim()).filter(Boolean);
  return readings.filter((g) =>
    wanted.some((w) => w === g.index || (w.startsWith("GPU-") && g.uuid.startsWith(w)) || w === g.uuid)
  );
}

/** Runs nvidia-smi once and returns its stdout; throws with the reason when it cannot. */
export type NvidiaSmiRunner = () => Promise<string>;

/** The real runner: `nvidia-smi --query-gpu=… --format=csv`, given 5 s. */
export const runNvidiaSmi: NvidiaSmiRunner = async () => {
  const out = await new Deno.Command("nvidia-smi", {
    args: [`--query-gpu=${GPU_QUERY_FIELDS.join(",")}`, "--format=csv"],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(5000),
  }).output();
  const stderr = new TextDecoder().decode(out.stderr).trim();
  if (!out.success) throw new Error(`nvidia-smi exited ${out.code}${stderr ? `: ${stderr.slice(0, 200)}` : ""}`);
  return new TextDecoder().decode(out.stdout);
};

/** Options of a {@linkcode GpuSampler}. */
export interface GpuSamplerOptions {
  /** How often nvidia-smi runs, default 5000 ms. */
  intervalMs?: number;
  run?: NvidiaSmiRunner;
  /** `CUDA_VISIBLE_DEVICES`. */
  visibleDevices?: string;
}

/** Reads the GPUs on a timer; the gauges show the last reading. */
export class GpuSampler {
  readonly intervalMs: number;
  readonly #run: NvidiaSmiRunner;
  readonly #visible: string | undefined;
  #readings: GpuReading[] = [];
  #ok = false;
  #lastError = "";
  #timer: ReturnType<typeof setInterval> | undefined;
  #running: Promise<void> | null = null;

  constructor(options: GpuSamplerOptions = {}) {
    this.intervalMs = options.intervalMs ?? 5000;
    this.#run = options.run ?? runNvidiaSmi;
    this.#visible = options.visibleDevices;
  }

  /** The last successful reading (empty before the first, and after a failed one). */
  get readings(): GpuReading[] {
    return this.#readings;
  }

  /** Whether the last nvidia-smi call succeeded. */
  get ok(): boolean {
    return this.#ok;
  }

  /** Samples now, then every `intervalMs` (the timer does not keep the process alive). */
  start(): Promise<void> {
    if (!this.#timer) {
      this.#timer = setInterval(() => void this.sample(), this.intervalMs);
      Deno.unrefTimer(this.#timer);
    }
    return this.sample();
  }

  /** Stops the timer. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One reading; concurrent calls share it. Never rejects: a failure is logged once per distinct message. */
  sample(): Promise<void> {
    this.#running ??= this.#sampleOnce().finally(() => this.#running = null);
    return this.#running;
  }

  async #sampleOnce(): Promise<void> {
    try {
      this.#readings = visibleGpus(parseNvidiaSmiCsv(await this.#run()), this.#visible);
      this.#ok = true;
      this.#lastError = "";
    } catch (error) {
      this.#readings = [];
      this.#ok = false;
      const message = error instanceof Error ? error.message : String(error);
      if (message !== this.#lastError) log.warn("GPU metrics unavailable: {error}", { error: message });
      this.#lastError = message;
    }
  }
}

/** Adds the `voicechat_gpu_*` gauges, read from `sampler`, to a registry. */
export function registerGpuMetrics(registry: MetricsRegistry, sampler: GpuSampler): void {
  const per = (pick: (g: GpuReading) => number | undefined) => (): GaugeSample[] =>
    sampler.readings.flatMap((g) => {
      const value = pick(g);
      return value === undefined ? [] : [{ labels: { gpu: g.index, name: g.name, uuid: g.uuid }, value }];
    });
  registry.gauge("voicechat_gpu_up", "1 when the last nvidia-smi reading succeeded", () => sampler.ok ? 1 : 0);
  registry.gauge(
    "voicechat_gpu_utilization_ratio",
    "GPU busy time over the driver's sample period (0..1)",
    per((g) => g.utilizationRatio),
  );
  registry.gauge("voicechat_gpu_memory_used_bytes", "GPU memory in use", per((g) => g.memoryUsedBytes));
  registry.gauge("voicechat_gpu_memory_total_bytes", "GPU memory installed", per((g) => g.memoryTotalBytes));
  registry.gauge("voicechat_gpu_temperature_celsius", "GPU core temperature", per((g) => g.temperatureCelsius));
}
