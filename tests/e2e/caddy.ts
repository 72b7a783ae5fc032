/**
 * Caddy with the repository's Caddyfile on free loopback ports, in its own data folder (so its internal CA is the
 * test's own), proxying the web port to an orchestrator upstream and the LiveKit port to a LiveKit server.
 *
 * @module
 */
import { resolveRepoPath } from "../../harness/sox.ts";
import { freePort } from "../../harness/ports.ts";

/** Where Caddy sends traffic. */
export interface CaddyUpstreams {
  /** `host:port` of the orchestrator's public port (page, API, WebSocket). */
  orchestrator: string;
  /** `host:port` of LiveKit's signalling port. */
  livekit: string;
  /** The page's port; default a free one. Set it when the orchestrator must know the page's origin in advance. */
  webPort?: number;
}

/** A running Caddy owned by a test. */
export class CaddyServer {
  #child: Deno.ChildProcess;
  #dir: string;
  #log = "";
  #reader: Promise<void>;

  private constructor(child: Deno.ChildProcess, dir: string, readonly webPort: number, readonly livekitPort: number) {
    this.#child = child;
    this.#dir = dir;
    this.#reader = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of child.stderr) this.#log = (this.#log + decoder.decode(chunk)).slice(-20_000);
    })().catch(() => {});
  }

  /** `https://localhost:<webPort>`: the page. */
  get webUrl(): string {
    return `https://localhost:${this.webPort}`;
  }

  /** `wss://localhost:<livekitPort>`: LiveKit through Caddy. */
  get livekitUrl(): string {
    return `wss://localhost:${this.livekitPort}`;
  }

  /** Caddy's log so far (for failure messages). */
  get log(): string {
    return this.#log;
  }

  /** Starts Caddy and waits until the web site answers over TLS with its internal certificate. */
  static async start(upstreams: CaddyUpstreams, webRoot = resolveRepoPath("web/dist")): Promise<CaddyServer> {
    const caddyfile = resolveRepoPath("Caddyfile");
    if (!(await Deno.stat(caddyfile).then(() => true, () => false))) {
      throw new Error("no Caddyfile in the repository root (issue 6, item 5)");
    }
    const dir = await Deno.makeTempDir({ prefix: "caddy-e2e-" });
    const webPort = upstreams.webPort ?? freePort();
    const livekitPort = freePort();
    const command = new Deno.Command("caddy", {
      args: ["run", "--config", caddyfile, "--adapter", "caddyfile"],
      cwd: resolveRepoPath("."),
      env: {
        PUBLIC_HOST: "localhost",
        CADDY_WEB_PORT: String(webPort),
        CADDY_LIVEKIT_PORT: String(livekitPort),
        ORCHESTRATOR_UPSTREAM: upstreams.orchestrator,
        LIVEKIT_UPSTREAM: upstreams.livekit,
        WEB_ROOT: webRoot,
        XDG_DATA_HOME: `${dir}/data`,
        XDG_CONFIG_HOME: `${dir}/config`,
        HOME: dir,
      },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    });
    let child: Deno.ChildProcess;
    try {
      child = command.spawn();
    } catch (error) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      if (error instanceof Deno.errors.NotFound) throw new Error("no caddy binary on PATH: run `deno task setup`");
      throw error;
    }
    const caddy = new CaddyServer(child, dir, webPort, livekitPort);
    try {
      await caddy.#waitReady();
    } catch (error) {
      await caddy.stop();
      throw new Error(`${(error as Error).message}\n--- caddy log ---\n${caddy.log.slice(-3000)}`);
    }
    return caddy;
  }

  /** The PEM of Caddy's internal root CA (for clients that verify TLS). */
  async rootCertificate(): Promise<string> {
    return await Deno.readTextFile(`${this.#dir}/data/caddy/pki/authorities/local/root.crt`);
  }

  async stop(): Promise<void> {
    try {
      this.#child.kill("SIGTERM");
    } catch { /* gone */ }
    await this.#child.status;
    await this.#reader;
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }

  async #waitReady(): Promise<void> {
    const deadline = Date.now() + 30_000;
    let lastError = "";
    while (Date.now() < deadline) {
      try {
        const client = Deno.createHttpClient({ caCerts: [await this.rootCertificate()] });
        try {
          const response = await fetch(`${this.webUrl}/`, { client });
          await response.body?.cancel();
          if (response.status < 500) return;
          lastError = `status ${response.status}`;
        } finally {
          client.close();
        }
      } catch (error) {
        lastError = (error as Error).message;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`Caddy did not serve ${this.webUrl} within 30 s (${lastError})`);
  }
}
