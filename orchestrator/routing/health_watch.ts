/**
 * Watches one worker's `grpc.health.v1.Health/Watch` and reports its serving status as it changes. A dropped watch
 * (worker killed, connection lost) reports `unreachable` at once and is re-opened with capped backoff, so a worker
 * that comes back is seen as serving again.
 *
 * @module
 */
import {
  type Client,
  type ClientOptions,
  credentials,
  makeGenericClientConstructor,
  type ServiceError,
} from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";

/** What the router knows about a worker's health. */
export type WorkerHealth = "unknown" | "serving" | "not_serving" | "unreachable";

/** The service name every worker registers its health under. */
export const TTS_HEALTH_SERVICE = "tts.v1.TTSService";

const HealthClient = makeGenericClientConstructor(healthService, "grpc.health.v1.Health");

interface HealthWatchCall {
  on(event: "data", listener: (response: { status?: string }) => void): void;
  on(event: "error", listener: (error: ServiceError) => void): void;
  on(event: "end", listener: () => void): void;
  cancel(): void;
}

/** A running health watch on one channel. */
export class HealthWatch {
  #status: WorkerHealth = "unknown";
  #call: HealthWatchCall | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #backoffMs = 0;
  #closed = false;
  readonly #client: Client;

  /** Starts watching at once; `onChange` gets every status change (not repeats). */
  constructor(
    address: string,
    channel: ReturnType<Client["getChannel"]>,
    readonly onChange: (status: WorkerHealth) => void,
  ) {
    // Shares the TTS client's channel: one connection per worker for everything.
    const channelOverride = channel as unknown as NonNullable<ClientOptions["channelOverride"]>;
    this.#client = new HealthClient(address, credentials.createInsecure(), { channelOverride });
    this.#open();
  }

  /** Latest status. */
  get status(): WorkerHealth {
    return this.#status;
  }

  /** Stops watching (the channel belongs to the TTS client and stays open). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#call?.cancel();
    this.#call = null;
  }

  /**
   * Asks the worker directly (Health/Check with a deadline). The watch alone cannot tell a busy worker from a hung
   * one: a frozen process never sends a status change, so its last status stays "serving".
   */
  check(timeoutMs: number): Promise<boolean> {
    const client = this.#client as unknown as {
      Check(
        request: { service: string },
        options: { deadline: number },
        callback: (error: ServiceError | null, response?: { status?: string }) => void,
      ): void;
    };
    return new Promise((resolve) => {
      client.Check(
        { service: TTS_HEALTH_SERVICE },
        { deadline: Date.now() + timeoutMs },
        (error, response) => resolve(!error && response?.status === "SERVING"),
      );
    });
  }

  #open(): void {
    if (this.#closed) return;
    const watch = (this.#client as unknown as { Watch(request: { service: string }): HealthWatchCall }).Watch;
    const call = watch.call(this.#client, { service: TTS_HEALTH_SERVICE });
    this.#call = call;
    call.on("data", (response) => {
      this.#backoffMs = 0;
      this.#set(response.status === "SERVING" ? "serving" : "not_serving");
    });
    const retry = () => {
      if (this.#call !== call || this.#closed) return;
      this.#call = null;
      this.#set("unreachable");
      this.#backoffMs = Math.min(Math.max(this.#backoffMs * 2, 100), 2000);
      this.#timer = setTimeout(() => this.#open(), this.#backoffMs);
    };
    call.on("error", retry);
    call.on("end", retry);
  }

  #set(status: WorkerHealth): void {
    if (status === this.#status) return;
    this.#status = status;
    this.onChange(status);
  }
}
