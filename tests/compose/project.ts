/**
 * One compose project run by a test: the repository's compose files, Caddyfile and configs copied into a scratch
 * folder (so the developer's own `.env` is never touched), a `.env` made by `compose:init` with the published ports
 * moved to free loopback ports, and `docker compose …` aimed at the test's own engine.
 *
 * @module
 */
import { freePort, freeUdpPort } from "../../harness/ports.ts";
import { resolveRepoPath } from "../../harness/sox.ts";
import { docker, type DockerResult } from "../../scripts/compose/docker.ts";
import { initEnv, parseEnv, setEnvValue } from "../../scripts/compose/init.ts";

/** Files a compose project needs from the repository (the images carry everything else). */
const PROJECT_FILES = [
  "docker-compose.yml",
  "docker-compose.prod.yml",
  "docker-compose.cosyvoice-cpu.yml",
  "docker-compose.multi-gpu.yml",
  "Caddyfile",
  "configs",
  ".env.example",
];

/** State of one container as `docker compose ps --format json` reports it. */
export interface ServiceState {
  Service: string;
  State: string;
  Health: string;
  ExitCode: number;
  Name: string;
}

/** A compose project in a scratch folder. */
export class ComposeProject {
  private constructor(
    readonly dir: string,
    readonly name: string,
    readonly engineEnv: Record<string, string>,
    readonly ports: { web: number; livekit: number; rtcUdp: number; rtcTcp: number },
  ) {}

  /** Copies the files and writes `.env` (fresh secrets, free loopback ports, `extra` last). */
  static async create(engineEnv: Record<string, string>, extra: Record<string, string> = {}): Promise<ComposeProject> {
    const dir = await Deno.makeTempDir({ prefix: "compose-project-" });
    for (const file of PROJECT_FILES) {
      const from = resolveRepoPath(file);
      const info = await Deno.stat(from).catch(() => null);
      if (!info) continue;
      await new Deno.Command("cp", { args: ["-r", from, `${dir}/${file}`] }).output();
    }
    // LiveKit hands clients Google's STUN servers unless it names its own: the test's browser and orchestrator get a
    // loopback address instead, so no packet of the test ever leaves this machine.
    const livekitConfig = `${dir}/configs/livekit.yaml`;
    const config = await Deno.readTextFile(livekitConfig);
    await Deno.writeTextFile(livekitConfig, config.replace(/^rtc:\n/m, 'rtc:\n  stun_servers: ["127.0.0.1:3478"]\n'));
    const ports = { web: freePort(), livekit: freePort(), rtcUdp: await freeUdpPort(), rtcTcp: freePort() };
    let { text } = initEnv(null, await Deno.readTextFile(`${dir}/.env.example`));
    const settings: Record<string, string> = {
      COMPOSE_BIND_ADDRESS: "127.0.0.1",
      CADDY_WEB_PORT: String(ports.web),
      CADDY_LIVEKIT_PORT: String(ports.livekit),
      LIVEKIT_RTC_UDP_PORT: String(ports.rtcUdp),
      LIVEKIT_RTC_TCP_PORT: String(ports.rtcTcp),
      // The page would derive wss://localhost:8444; the test's LiveKit port is a free one.
      LIVEKIT_PUBLIC_URL: `wss://localhost:${ports.livekit}`,
      ...extra,
    };
    for (const [key, value] of Object.entries(settings)) text = setEnvValue(text, key, value);
    await Deno.writeTextFile(`${dir}/.env`, text, { mode: 0o600 });
    const name = `vc-test-${crypto.randomUUID().slice(0, 8)}`;
    return new ComposeProject(dir, name, engineEnv, ports);
  }

  /** The `.env` values. */
  async env(): Promise<Map<string, string>> {
    return parseEnv(await Deno.readTextFile(`${this.dir}/.env`));
  }

  /** `https://localhost:<web port>`. */
  get webUrl(): string {
    return `https://localhost:${this.ports.web}`;
  }

  /** Runs `docker compose -p <name> <args>` in the project folder; `check: false` returns failures instead. */
  compose(args: string[], options: { check?: boolean; stream?: boolean } = {}): Promise<DockerResult> {
    return docker(["compose", "-p", this.name, ...args], { ...options, cwd: this.dir, env: this.engineEnv });
  }

  /** Every container of the project (including exited ones) with its state and health. */
  async states(fileArgs: string[] = []): Promise<ServiceState[]> {
    const out = await this.compose([...fileArgs, "ps", "--all", "--format", "json"]);
    const text = out.stdout.trim();
    if (!text) return [];
    // Compose prints one JSON object per line (older versions: one array).
    return text.startsWith("[") ? JSON.parse(text) : text.split("\n").map((line) => JSON.parse(line));
  }

  /** Runs a command in a service's container and returns its stdout (throws on failure). */
  async exec(service: string, command: string[]): Promise<string> {
    return (await this.compose(["exec", "-T", service, ...command])).stdout;
  }

  /** Caddy's internal root certificate, written to a file in the project folder; returns the path. */
  async caddyRootCertificate(): Promise<string> {
    const pem = await this.exec("caddy", ["cat", "/data/caddy/pki/authorities/local/root.crt"]);
    const path = `${this.dir}/caddy-root.crt`;
    await Deno.writeTextFile(path, pem);
    return path;
  }

  /** The host pid of a service's main process (for a crash from outside: SIGKILL by pid). */
  async pid(service: string): Promise<number> {
    const id = (await this.compose(["ps", "-q", service])).stdout.trim();
    const out = await docker(["inspect", "--format", "{{.State.Pid}}", id], { env: this.engineEnv });
    return Number(out.stdout.trim());
  }

  /** `docker compose down` (with `-v`: named volumes too), then removes the folder. */
  async dispose(): Promise<void> {
    await this.compose(["--profile", "cosyvoice", "down", "-v", "--remove-orphans", "--timeout", "5"], {
      check: false,
    });
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/** Polls `check` until it returns a value (not undefined/false) or `timeoutMs` passes; throws naming `what`. */
export async function until<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs: number,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
