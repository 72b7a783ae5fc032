/**
 * The CosyVoice 2 adapter family: catalogues `VOICEPACKS_DIR/cosyvoice/<name>/` (model id `cosyvoice2-<name>`) and
 * loads a pack's graphs on onnxruntime-node (CPU, or CUDA via `COSYVOICE_DEVICE=cuda`). A pack that is incomplete or
 * corrupt is left out of the catalogue with a warning; loading it fails with {@linkcode ModelLoadError} naming the
 * file.
 *
 * @module
 */
import { join } from "node:path";
import { getLogger } from "../../shared/log/mod.ts";
import {
  type LoadedModel,
  MODEL_ID_PREFIX,
  type ModelDescriptor,
  ModelLoadError,
  ModelNotFoundError,
  type TtsAdapter,
} from "../runtime/adapter.ts";
import { CosyVoiceModel, type PackSessions } from "./cosyvoice_model.ts";
import { openSession, type SessionOptions } from "./onnx_session.ts";
import { TextTokenizer } from "./tokenizer.ts";
import { readVoicepack, type Voicepack, type VoicepackManifest } from "./voicepack.ts";

const log = getLogger("worker", "cosyvoice");

/** Settings of the CosyVoice adapter (from the worker config). */
export interface CosyVoiceAdapterOptions extends SessionOptions {
  voicepacksDir: string;
  seed?: number;
  sampling?: "ras" | "greedy";
  /** Check every file's sha256 at load (default true). */
  verify?: boolean;
}

/** The folder of every CosyVoice pack. */
export function cosyvoiceRoot(voicepacksDir: string): string {
  return join(voicepacksDir, "cosyvoice");
}

function describe(id: string, manifest: VoicepackManifest): ModelDescriptor {
  const random = manifest.source.kind === "random";
  return {
    id,
    adapter: "cosyvoice2",
    language: manifest.language,
    nativeSampleRate: manifest.sample_rate,
    numSpeakers: 1,
    description: random
      ? `CosyVoice 2 with seeded random weights (${manifest.source.size}, seed ${manifest.source.seed}): speaks noise`
      : `CosyVoice 2 voicepack (${manifest.voice.provenance})`,
  };
}

/** CosyVoice 2 voicepacks from disk. */
export class CosyVoiceAdapter implements TtsAdapter {
  readonly type = "cosyvoice2" as const;
  #device: string;

  constructor(readonly options: CosyVoiceAdapterOptions) {
    this.#device = options.device === "cuda" ? "cuda:0" : "cpu";
  }

  get device(): string {
    return this.#device;
  }

  async listModels(): Promise<ModelDescriptor[]> {
    const models: ModelDescriptor[] = [];
    const root = cosyvoiceRoot(this.options.voicepacksDir);
    const names: string[] = [];
    try {
      for await (const entry of Deno.readDir(root)) {
        // Packs may be links into the machine cache (setup links random-tiny there).
        if (entry.isDirectory || (await Deno.stat(join(root, entry.name)).catch(() => null))?.isDirectory) {
          names.push(entry.name);
        }
      }
    } catch {
      return [];
    }
    for (const name of names.sort()) {
      const id = `${MODEL_ID_PREFIX.cosyvoice2}${name}`;
      try {
        const pack = await readVoicepack(join(root, name), { verify: false });
        models.push(describe(id, pack.manifest));
      } catch (error) {
        log.warn("voicepack {model_id} left out of the catalogue: {problem}", { model_id: id, problem: String(error) });
      }
    }
    return models;
  }

  async load(modelId: string, signal?: AbortSignal): Promise<LoadedModel> {
    const prefix = MODEL_ID_PREFIX.cosyvoice2;
    if (!modelId.startsWith(prefix)) {
      throw new ModelNotFoundError(modelId, `CosyVoice model ids start with "${prefix}"`);
    }
    const dir = join(cosyvoiceRoot(this.options.voicepacksDir), modelId.slice(prefix.length));
    if (!(await Deno.stat(join(dir, "voicepack.json")).catch(() => null))) {
      throw new ModelNotFoundError(modelId, `no voicepack at ${dir} (export one with \`deno task cosyvoice:export\`)`);
    }
    const started = performance.now();
    let pack: Voicepack;
    let tokenizer: TextTokenizer;
    let sessions: PackSessions;
    try {
      pack = await readVoicepack(dir, { verify: this.options.verify });
      tokenizer = await TextTokenizer.load(join(dir, "tokenizer.json"));
      sessions = await this.#open(dir);
    } catch (error) {
      throw new ModelLoadError(modelId, error instanceof Error ? error.message : String(error), { cause: error });
    }
    if (signal?.aborted) throw signal.reason;
    log.info("loaded {model_id} on {device} in {ms} ms", {
      model_id: modelId,
      device: this.#device,
      ms: Math.round(performance.now() - started),
    });
    return new CosyVoiceModel({
      descriptor: describe(modelId, pack.manifest),
      pack,
      tokenizer,
      sessions,
      log: log.with({ model_id: modelId }),
      seed: this.options.seed ?? 0,
      sampling: this.options.sampling,
    });
  }

  async #open(dir: string): Promise<PackSessions> {
    const open = async (name: string) => {
      const opened = await openSession(join(dir, name), this.options);
      if (opened.fallback) {
        log.warn("{file}: running on the CPU: {reason}", { file: name, reason: opened.fallback });
      }
      this.#device = opened.device;
      return opened.session;
    };
    return {
      llm: await open("llm.onnx"),
      flow: {
        encoderStream: await open("flow_encoder_stream.onnx"),
        encoderFinal: await open("flow_encoder_final.onnx"),
        estimatorStream: await open("flow_estimator_stream.onnx"),
        estimatorFull: await open("flow_estimator_full.onnx"),
      },
      hift: { f0: await open("hift_f0.onnx"), decoder: await open("hift_decoder.onnx") },
    };
  }
}
