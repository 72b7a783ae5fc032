/**
 * Shared setup of the routing integration tests: a real Redis, real mock workers registered in it, a started
 * directory, and helpers to read a speech stream.
 *
 * @module
 */
import type { SpeechStream, TtsFrame } from "../../../orchestrator/routing/contract.ts";
import { WorkerDirectory } from "../../../shared/registry/directory.ts";
import type { RunningWorker } from "../../../workers/runtime/worker.ts";
import { RedisServer } from "../../../harness/redis_server.ts";
import { waitFor } from "../../shared/registry/sample_record.ts";
import { type MockWorkerOptions, startMockWorker } from "./mock_workers.ts";

export { waitFor };

/** A Redis with registered mock workers and a directory that sees them. */
export interface Cluster {
  redis: RedisServer;
  directory: WorkerDirectory;
  workers: RunningWorker[];
  dispose(): Promise<void>;
}

/** Starts Redis, `names.length` registered mock workers and a directory listing all of them. */
export async function startCluster(names: string[], options: MockWorkerOptions = {}): Promise<Cluster> {
  const redis = await RedisServer.start();
  const workers: RunningWorker[] = [];
  const directory = new WorkerDirectory({ redisUrl: redis.url, refreshMs: 100 });
  try {
    for (const name of names) workers.push(await startMockWorker(name, { ...options, redisUrl: redis.url }));
    await directory.start();
    await waitFor(`${names.length} workers in the directory`, () => directory.list().length === names.length);
  } catch (error) {
    await Promise.all(workers.map((w) => w.shutdown("test setup failed")));
    await directory.stop();
    await redis.dispose();
    throw error;
  }
  return {
    redis,
    directory,
    workers,
    async dispose() {
      await Promise.all(workers.map((w) => w.shutdown("test over")));
      await directory.stop();
      await redis.dispose();
    },
  };
}

/** Reads a stream to its end; `paceMs` waits between frames like a slow consumer. Records arrival times. */
export async function readAll(
  stream: SpeechStream,
  options: { paceMs?: number; onFrame?: (frame: TtsFrame, index: number) => void | Promise<void> } = {},
): Promise<{ frames: TtsFrame[]; arrivals: number[] }> {
  const frames: TtsFrame[] = [];
  const arrivals: number[] = [];
  for await (const frame of stream) {
    arrivals.push(performance.now());
    frames.push(frame);
    await options.onFrame?.(frame, frames.length - 1);
    if (options.paceMs) await new Promise((resolve) => setTimeout(resolve, options.paceMs));
  }
  return { frames, arrivals };
}

/** Says `text` on a stream in sentence pieces and ends it. */
export function speak(stream: SpeechStream, sentences: string[]): void {
  for (const sentence of sentences) stream.push(sentence, { flush: true });
  stream.end();
}
