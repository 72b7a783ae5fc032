/**
 * One gRPC channel per worker address, shared by every session and stream of this orchestrator that uses the
 * worker, plus the health watch on it. Channels are opened on first use and closed when the worker has left the
 * registry and no stream uses it any more.
 *
 * @module
 */
import { TTSServiceClient } from "../../proto/gen/tts.ts";
import { getLogger } from "../../shared/log/mod.ts";
import { rpcSecretInterceptors, type WorkerLinkSecurity } from "../../shared/security/worker_rpc.ts";
import { channelCredentials } from "../../shared/security/worker_tls.ts";
import { HealthWatch, type WorkerHealth } from "./health_watch.ts";

const log = getLogger("orchestrator", "routing");

/** The channel of one worker address. */
export interface WorkerChannel {
  readonly address: string;
  readonly client: TTSServiceClient;
  readonly health: HealthWatch;
  /** Streams using the channel now. */
  users: number;
  /** Close once unused (the worker left). */
  retiring: boolean;
}

/** Channels by address. */
export class WorkerChannels {
  readonly #channels = new Map<string, WorkerChannel>();

  /**
   * `onHealth` hears every health change of every channel's worker; `security` is the same for every worker.
   * `keepaliveMs` is the gRPC ping period while a channel has calls (its health watch always is one); a ping unanswered
   * for `keepaliveMs` (at least 1 s, at most 5 s: a host whose CPU is saturated answers late and must not look dead)
   * closes the connection, so a worker behind a cut link counts as unreachable within about `keepaliveMs` + that.
   */
  constructor(
    readonly onHealth: (address: string, status: WorkerHealth) => void,
    readonly security: WorkerLinkSecurity = {},
    readonly keepaliveMs = 15_000,
  ) {}

  /** Addresses with an open channel. */
  get addresses(): string[] {
    return [...this.#channels.keys()];
  }

  /** The channel of an address, if open. */
  peek(address: string): WorkerChannel | undefined {
    return this.#channels.get(address);
  }

  /** The channel of an address, opened on first use. */
  get(address: string): WorkerChannel {
    let channel = this.#channels.get(address);
    if (!channel) {
      // TLS (verified against ORCHESTRATOR_WORKER_TLS_CA) when configured; the call credential rides on top.
      const link = channelCredentials(address, this.security.clientTls);
      const client = new TTSServiceClient(address, link.credentials, {
        ...link.options,
        interceptors: rpcSecretInterceptors(this.security.rpcSecret),
        // Detect a silently dead peer (no RST, e.g. a frozen host) without waiting for TCP timeouts.
        "grpc.keepalive_time_ms": this.keepaliveMs,
        "grpc.keepalive_timeout_ms": Math.min(5_000, Math.max(1_000, this.keepaliveMs)),
        "grpc.keepalive_permit_without_calls": 0,
        // Streams can be long: never cap total response size.
        "grpc.max_receive_message_length": 4 * 1024 * 1024,
      });
      const health = new HealthWatch(address, client.getChannel(), (status) => this.onHealth(address, status));
      channel = { address, client, health, users: 0, retiring: false };
      this.#channels.set(address, channel);
      log.debug("opened channel to worker {address}", { address });
    }
    channel.retiring = false;
    return channel;
  }

  /** Marks a stream as using the channel. */
  retain(address: string): WorkerChannel {
    const channel = this.get(address);
    channel.users++;
    return channel;
  }

  /** A stream stopped using the channel; closes it if the worker has left meanwhile. */
  release(address: string): void {
    const channel = this.#channels.get(address);
    if (!channel) return;
    channel.users = Math.max(0, channel.users - 1);
    if (channel.retiring && channel.users === 0) this.close(address);
  }

  /** The worker left: close now if unused, else when its last stream ends. */
  retire(address: string): void {
    const channel = this.#channels.get(address);
    if (!channel) return;
    channel.retiring = true;
    if (channel.users === 0) this.close(address);
  }

  /** Closes one channel. */
  close(address: string): void {
    const channel = this.#channels.get(address);
    if (!channel) return;
    this.#channels.delete(address);
    channel.health.close();
    channel.client.close();
    log.debug("closed channel to worker {address}", { address });
  }

  /** Closes every channel. */
  closeAll(): void {
    for (const address of [...this.#channels.keys()]) this.close(address);
  }
}
