/**
 * Whisper inference worker: loads the model once, then runs one transcription at a time as the main thread asks.
 * Cancellation goes through shared memory, not a message: onnxruntime-node schedules each run with setImmediate,
 * which keeps message events waiting while a decode loop runs, so a flag is read between decoder steps instead.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { WhisperOnnxModel } from "./onnx_model.ts";
import { WhisperTranscriber } from "./transcriber.ts";
import type { WorkerReply, WorkerRequest } from "./worker_protocol.ts";

let transcriber: WhisperTranscriber | undefined;
let cancelSlot: Int32Array<ArrayBufferLike> = new Int32Array(1);
let chain: Promise<void> = Promise.resolve();

function reply(message: WorkerReply): void {
  self.postMessage(message);
}

function failure(err: unknown, id?: number): WorkerReply {
  const error = err instanceof Error ? err : new Error(String(err));
  return { type: "failed", id, name: error.name, message: error.message };
}

async function handle(request: WorkerRequest): Promise<void> {
  switch (request.type) {
    case "load": {
      const model = await WhisperOnnxModel.load(request.files, {
        device: request.device,
        threads: request.threads,
        strict: request.strict,
      });
      transcriber = new WhisperTranscriber(model);
      cancelSlot = request.cancelSlot;
      const info = model.info;
      reply({
        type: "loaded",
        model: {
          name: info.name,
          device: model.device,
          isMultilingual: info.isMultilingual,
          languages: info.isMultilingual ? [...info.languages.keys()] : ["en"],
          variableFrames: info.variableFrames,
        },
      });
      return;
    }
    case "run": {
      if (!transcriber) throw new Error("the Whisper worker has no model loaded");
      const id = request.id;
      try {
        const result = await transcriber.transcribe(request.samples, {
          ...request.options,
          isCancelled: () => Atomics.load(cancelSlot, 0) === id,
        });
        reply({ type: "result", id, result });
      } catch (err) {
        reply(failure(err, id));
      }
      return;
    }
    case "dispose":
      await transcriber?.model.dispose();
      transcriber = undefined;
      reply({ type: "disposed" });
      return;
  }
}

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  chain = chain.then(() => handle(request)).catch((err) => reply(failure(err)));
};
