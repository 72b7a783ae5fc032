/**
 * One way to open a Redis connection for the registry: reconnects forever with capped backoff, fails commands fast
 * while disconnected (a heartbeat must never queue up behind an outage), and logs up/down transitions once each
 * instead of one line per failed reconnect.
 *
 * @module
 */
import { Redis } from "ioredis";
import type { Logger } from "../log/mod.ts";
import { redactRedisUrl } from "./worker_record.ts";

/** Options of {@linkcode openRegistryConnection}. */
export interface RegistryConnectionOptions {
  /** `redis://[:password@]host:port[/db]`. */
  redisUrl: string;
  /** Logger that receives the up/down transitions. */
  logger: Logger;
  /** Shown in logs: what this connection is for. */
  role: string;
  /** Longest wait between reconnect attempts, ms. */
  maxBackoffMs?: number;
  /** How long one connect attempt may take, ms (default 2000). */
  connectTimeoutMs?: number;
  /** Commands not answered within this many ms fail with "Command timed out" (default: never). */
  commandTimeoutMs?: number;
  /** Called each time the connection becomes ready (first connect and every reconnect). */
  onReady?: () => void;
  /** Called when an established connection is lost. */
  onDown?: () => void;
}

/** Connections closed on purpose: their "close" is not an outage and is not logged as one. */
const closingConnections = new WeakSet<Redis>();

/** An ioredis client whose outages are logged once and whose commands fail fast while it is down. */
export function openRegistryConnection(options: RegistryConnectionOptions): Redis {
  const maxBackoff = options.maxBackoffMs ?? 2000;
  const where = redactRedisUrl(options.redisUrl);
  const redis = new Redis(options.redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: options.connectTimeoutMs ?? 2000,
    commandTimeout: options.commandTimeoutMs,
    // Exponential from 50 ms, capped: reconnect quickly after a short blip, without hammering a long outage.
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), maxBackoff),
    // After a failover the old primary answers READONLY; reconnecting finds the new one.
    reconnectOnError: (err) => err.message.startsWith("READONLY"),
  });
  let state: "starting" | "up" | "down" = "starting";
  let lastError = "";
  redis.on("ready", () => {
    if (state !== "up") options.logger.info(`Redis ${where} reachable (${options.role})`);
    state = "up";
    options.onReady?.();
  });
  redis.on("error", (err: Error) => {
    lastError = err.message;
    if (state === "down") return;
    options.logger.warn(`Redis ${where} unreachable (${options.role}): ${err.message}; retrying in the background`);
    if (state === "up") options.onDown?.();
    state = "down";
  });
  redis.on("close", () => {
    if (state !== "up" || closingConnections.has(redis)) return;
    // A clean close after being up (server restart) may not raise "error"; still one line.
    options.logger.warn(`Redis ${where} connection lost (${options.role})${lastError ? `: ${lastError}` : ""}`);
    state = "down";
    options.onDown?.();
  });
  return redis;
}

/** Closes a registry connection without waiting on a server that may be gone. */
export async function closeRegistryConnection(redis: Redis): Promise<void> {
  closingConnections.add(redis);
  if (redis.status === "ready") {
    const quitDone = redis.quit().then(() => {}, () => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => timer = setTimeout(resolve, 1000));
    await Promise.race([quitDone, timeout]);
    clearTimeout(timer);
  }
  // Between reconnect attempts there is no socket: disconnect() only cancels the retry timer and emits nothing.
  const hasSocket = ["connecting", "connect", "ready", "close"].includes(redis.status);
  redis.disconnect();
  // ioredis emits "end" asynchronously; wait for it so no socket outlives the caller.
  if (hasSocket && redis.status !== "end") {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      redis.once("end", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** Waits until a connection is ready or has failed once (bounded), whichever comes first. */
export async function waitForFirstVerdict(redis: Redis): Promise<void> {
  if (redis.status === "ready") return;
  let settle = () => {};
  let timer: ReturnType<typeof setTimeout> | undefined;
  await new Promise<void>((resolve) => {
    settle = () => resolve();
    redis.once("ready", settle);
    redis.once("error", settle);
    timer = setTimeout(resolve, 5000);
  });
  clearTimeout(timer);
  redis.off("ready", settle);
  redis.off("error", settle);
}
