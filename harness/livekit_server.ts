/**
 * A real LiveKit server (the pinned `livekit-server` binary) on free loopback ports for one test or suite:
 * signalling on `port`, WebRTC over UDP `udpPort` and TCP `tcpPort`, advertised as 127.0.0.1. Keys go through the
 * environment, as in the dev stack.
 *
 * @module
 */
import { findLivekitServer } from "../scripts/setup/livekit.ts";
import { freePort, freeUdpPort } from "./ports.ts";

/** Test keys (the secret is ≥ 32 characters, or LiveKit logs an error). */
export const TEST_LIVEKIT_KEY = "testkey";
export const TEST_LIVEKIT_SECRET = "test-secret-for-livekit-tests-0123456789abcdef";

/** A running LiveKit server owned by a test. */
export class LiveKitServer {
  readonly apiKey = TEST_LIVEKIT_KEY;
  readonly apiSecret = TEST_LIVEKIT_SECRET;
  #child: Deno.ChildProcess;
  #log: string[] = [];
  #collectors: Promise<void>[] = [];

  private constructor(child: Deno.ChildProcess, readonly port: number, readonly udpPort: number) {
    this.#child = child;
  }

  /** `ws://127.0.0.1:<port>`: where clients and the agent connect. */
  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /**
   * Starts a server and waits until it answers on HTTP. Its ports are probed free first; should another process
   * still take one before LiveKit binds it, the start is tried again on new ports (three tries in all).
   */
  static async start(): Promise<LiveKitServer> {
    const binary = await findLivekitServer();
    if (!binary) {
      throw new Error(
        "no livekit-server binary (looked at $LIVEKIT_SERVER_BIN, .cache/bin, PATH): run `deno task setup`",
      );
    }
    for (let attempt = 1;; attempt++) {
      const server = LiveKitServer.#spawn(binary, freePort(), await freeUdpPort(), await freeUdpPort());
      const problem = await server.#waitReady();
      if (!problem) return server;
      await server.stop();
      const lostBind = /address already in use/.test(server.logTail());
      if (!lostBind || attempt === 3) {
        throw new Error(`livekit-server on port ${server.port}: ${problem}:\n${server.logTail()}`);
      }
    }
  }

  static #spawn(binary: string, port: number, tcpPort: number, udpPort: number): LiveKitServer {
    const config = [
      `port: ${port}`,
      "rtc:",
      `  tcp_port: ${tcpPort}`,
      `  udp_port: ${udpPort}`,
      "  use_external_ip: false",
      "logging:",
      "  level: warn",
    ].join("\n");
    const child = new Deno.Command(binary, {
      args: ["--bind", "127.0.0.1", "--node-ip", "127.0.0.1"],
      env: { LIVEKIT_KEYS: `${TEST_LIVEKIT_KEY}: ${TEST_LIVEKIT_SECRET}`, LIVEKIT_CONFIG: config },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const server = new LiveKitServer(child, port, udpPort);
    server.#collect(child.stdout);
    server.#collect(child.stderr);
    return server;
  }

  /** Waits for the HTTP answer; returns what went wrong, or undefined once the server answers. */
  async #waitReady(): Promise<string | undefined> {
    let exited = false;
    this.#child.status.then(() => exited = true);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !exited) {
      if (/address already in use/.test(this.logTail())) return "a port was taken";
      try {
        const response = await fetch(`http://127.0.0.1:${this.port}/`);
        await response.body?.cancel();
        if (response.ok) return undefined;
      } catch { /* not up yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    return exited ? "it exited before answering" : "no answer within 30 s";
  }

  /** The last lines the server printed (for failure messages). */
  logTail(lines = 30): string {
    return this.#log.slice(-lines).join("\n");
  }

  /** Stops the server and waits for it to exit. */
  async stop(): Promise<void> {
    try {
      this.#child.kill("SIGTERM");
    } catch { /* already gone */ }
    const timer = setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 5_000);
    await this.#child.status;
    clearTimeout(timer);
    await Promise.all(this.#collectors);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  #collect(stream: ReadableStream<Uint8Array>): void {
    this.#collectors.push(
      (async () => {
        const decoder = new TextDecoder();
        for await (const chunk of stream) {
          for (const line of decoder.decode(chunk, { stream: true }).split("\n")) {
            if (line.trim()) this.#log.push(line);
          }
          if (this.#log.length > 500) this.#log.splice(0, this.#log.length - 200);
        }
      })().catch(() => {}),
    );
  }
}
