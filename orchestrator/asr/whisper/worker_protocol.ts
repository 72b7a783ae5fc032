/**
 * Messages between the Whisper engine (main thread) and its inference worker. onnxruntime-node runs a session
 * synchronously on the calling thread, so the encoder and decoder live in a Web Worker: the main event loop (audio
 * frames, VAD, pacing) never waits for a 30 s encoder window.
 *
 * @module
 */
import type { WhisperModelFiles } from "./model_info.ts";
import type { TranscribeOptions, TranscriptionResult } from "./transcriber.ts";

/** What the worker needs to know about the loaded model. */
export interface LoadedModelSummary {
  name: string;
  device: "cpu" | "cuda";
  isMultilingual: boolean;
  languages: string[];
  variableFrames: boolean;
}

/** Options of one run, as sent to the worker (no callbacks). */
export type RunOptions = Omit<TranscribeOptions, "isCancelled">;

/** Main thread → worker. */
export type WorkerRequest =
  | {
    type: "load";
    files: WhisperModelFiles;
    device: "cpu" | "cuda";
    threads: number;
    /** Fail the load when the CUDA provider cannot load (`STRICT_CONFIG`). */
    strict?: boolean;
    /** Int32Array over a SharedArrayBuffer: slot 0 holds the id of the job to cancel (read between decoder steps). */
    cancelSlot: Int32Array;
  }
  | { type: "run"; id: number; samples: Float32Array; options: RunOptions }
  | { type: "dispose" };

/** Worker → main thread. */
export type WorkerReply =
  | { type: "loaded"; model: LoadedModelSummary }
  | { type: "result"; id: number; result: TranscriptionResult }
  | { type: "failed"; id?: number; name: string; message: string }
  | { type: "disposed" };
