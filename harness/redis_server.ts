/**
 * Starts a real `redis-server` on a free loopback port for one test (or one suite), and can stop and restart it on
 * the same port to test outages.
 *
 * @module
 */
import { freePort } from "./ports.ts";

/** A redis-server child process owned by a test. */
export class RedisServer {
  #child: Deno.ChildProcess | null = null;
  readonly port: number;
  readonly password: string | undefined;
  readonly #dir: string;

  private constructor(port: number, dir: string, password?: string) {
    this.port = port;
    this.#dir = dir;
    this.password = password;
  }

  /** Starts a server (optionally with `requirepass`) and waits until it answers PING. */
  static async start(options: { password?: string; port?: number } = {}): Promise<RedisServer> {
    const dir = await Deno.makeTempDir({ prefix: "redis-test-" });
    const server = new RedisServer(options.port ?? freePort(), dir, options.password);
    await server.restart();
    return server;
  }

  /** `redis://` URL for clients, with the password when there is one. */
  get url(): string {
    const auth = this.password ? `:${encodeURIComponent(this.password)}@` : "";
    return `redis://${auth}127.0.0.1:${this.port}`;
  }

  /** True while the process runs. */
  get running(): boolean {
    return this.#child !== null;
  }

  /** (Re)starts the server on the same port. */
  async restart(): Promise<void> {
    if (this.#child) return;
    const args = [
      "--port",
      String(this.port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      this.#dir,
    ];
    if (this.password) args.push("--requirepass", this.password);
    this.#child = new Deno.Command("redis-server", { args, stdout: "null", stderr: "null", stdin: "null" }).spawn();
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (await this.#ping()) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    await this.stop();
    throw new Error(`redis-server did not answer on 127.0.0.1:${this.port} within 10 s`);
  }

  /** Stops the server (SIGKILL: an outage, not a clean shutdown) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = null;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
  }

  /** Stops the server and removes its folder. */
  async dispose(): Promise<void> {
    await this.stop();
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }

  async #ping(): Promise<boolean> {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: this.port });
      try {
        const cmd = this.password ? `AUTH ${this.password}\r\nPING\r\n` : "PING\r\n";
        await conn.write(new TextEncoder().encode(cmd));
        const buf = new Uint8Array(64);
        let text = "";
        const until = Date.now() + 1000;
        while (!text.includes("PONG") && Date.now() < until) {
          const n = await conn.read(buf);
          if (n === null) break;
          text += new TextDecoder().decode(buf.subarray(0, n));
        }
        return text.includes("PONG");
      } finally {
        conn.close();
      }
    } catch {
      return false;
    }
  }
}
