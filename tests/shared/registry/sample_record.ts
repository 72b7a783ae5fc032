/**
 * Registry test helpers: a valid worker record to register, and polling waits with generous deadlines.
 *
 * @module
 */
import type { WorkerRecord } from "../../../shared/registry/worker_record.ts";

/** A complete, valid worker record; `overrides` replace top-level fields. */
export function sampleRecord(name: string, overrides: Partial<WorkerRecord> = {}): WorkerRecord {
  return {
    name,
    address: "127.0.0.1:7002",
    adapter: "mock",
    tls: "off",
    version: "0.0.0-test",
    startedAt: Date.now(),
    heartbeatAt: Date.now(),
    defaultModel: "mock-440hz",
    residentModels: ["mock-440hz"],
    availableModels: ["mock-440hz", "mock-880hz"],
    capabilities: {
      streaming: true,
      sampleRate: 48000,
      frameMs: 20,
      languages: ["en-US"],
      supportsPause: true,
      device: "cpu",
    },
    load: { activeSessions: 0, maxSessions: 8, queueDepth: 0, rtf: 0 },
    ...overrides,
  };
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (then throws naming `what`). */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
