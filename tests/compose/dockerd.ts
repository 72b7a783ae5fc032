/**
 * A Docker engine owned by the test: Debian's `dockerd` started as a child process with its own socket, exec root and
 * pid file under the repository's `.cache/dockerd/`, and its data root (images, layers, volumes) in the machine cache
 * so later runs and clones reuse the images `deno task compose:images` built. It touches no host firewall or bridge
 * (`--iptables=false --ip6tables=false --ip-masq=false --ip-forward=false --bridge=none`): containers talk only on
 * compose's own networks, and published ports are plain userland proxies. Stopped by its pid.
 *
 * @module
 */
import { COMPOSE_VERSION, composeCachePath, DOCKER_CONFIG_DIR } from "../../scripts/setup/compose_plugin.ts";
import { machineCacheDir, repoPath } from "../../scripts/setup/paths.ts";
import { docker } from "../../scripts/compose/docker.ts";

/** A running private dockerd. */
export class PrivateDockerd {
  #child: Deno.ChildProcess;
  readonly logPath: string;
  /** Environment for docker/compose commands aimed at this engine. */
  readonly env: Record<string, string>;

  #execRoot: string;

  private constructor(child: Deno.ChildProcess, logPath: string, socket: string, execRoot: string) {
    this.#child = child;
    this.#execRoot = execRoot;
    this.logPath = logPath;
    this.env = { DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: DOCKER_CONFIG_DIR };
  }

  /** The daemon's pid. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Starts dockerd and waits until it answers; throws with its log when it does not. */
  static async start(): Promise<PrivateDockerd> {
    if (!(await Deno.stat(`${DOCKER_CONFIG_DIR}/cli-plugins/docker-compose`).catch(() => null))) {
      throw new Error(
        `no compose plugin at ${DOCKER_CONFIG_DIR}/cli-plugins (expected ${composeCachePath()}, ` +
          `Compose ${COMPOSE_VERSION}): run \`deno task setup\``,
      );
    }
    const dir = repoPath(".cache", "dockerd");
    const dataRoot = `${machineCacheDir()}/dockerd/data-root`;
    await Deno.mkdir(`${dir}/exec`, { recursive: true });
    await Deno.mkdir(dataRoot, { recursive: true });
    const socket = `${dir}/docker.sock`;
    const logPath = `${dir}/dockerd.log`;
    // Two engines must never share a data root: dockerd itself refuses to start while the pid file names a live one.
    const pidFile = `${machineCacheDir()}/dockerd/dockerd.pid`;
    // Another run's engine on this data root (a second clone testing at the same time): wait for it to stop.
    const waitUntil = Date.now() + 20 * 60_000;
    for (let said = false;;) {
      const holder = Number((await Deno.readTextFile(pidFile).catch(() => "")).trim());
      if (!holder) break;
      if (!(await Deno.stat(`/proc/${holder}`).catch(() => null))) {
        await Deno.remove(pidFile).catch(() => {}); // stale: its process is gone
        break;
      }
      if (Date.now() > waitUntil) throw new Error(`dockerd ${holder} still uses ${dataRoot} after 20 minutes`);
      if (!said) console.log(`waiting for dockerd ${holder} (another run) to release ${dataRoot}`);
      said = true;
      await new Promise((r) => setTimeout(r, 2_000));
    }
    await Deno.remove(socket).catch(() => {});
    const args = [
      `--data-root=${dataRoot}`,
      `--exec-root=${dir}/exec`,
      `--host=unix://${socket}`,
      `--pidfile=${pidFile}`,
      "--iptables=false",
      "--ip6tables=false",
      "--ip-masq=false",
      // Never switch on the host's IP forwarding: nothing from a container is routed off this machine.
      "--ip-forward=false",
      "--bridge=none",
    ];
    // dockerd's log goes straight to a file (the shell execs into dockerd, so the pid is dockerd's): a pipe that
    // nobody drains fast enough would block the daemon once its buffer is full.
    const quoted = [...args.map((a) => `'${a}'`), `>'${logPath}'`, "2>&1"].join(" ");
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command("sh", {
        args: ["-c", `command -v dockerd >/dev/null || exit 127; exec dockerd ${quoted}`],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
    } catch (error) {
      throw new Error(`cannot start dockerd: ${(error as Error).message}`);
    }
    const engine = new PrivateDockerd(child, logPath, socket, `${dir}/exec`);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const info = await docker(["version", "--format", "{{.Server.Version}}"], { env: engine.env, check: false });
      if (info.code === 0) return engine;
      const exited = await Promise.race([child.status.then(() => true), new Promise((r) => setTimeout(r, 500, false))]);
      if (exited || Date.now() > deadline) {
        await engine.stop();
        if ((await child.status).code === 127) {
          throw new Error("no dockerd on PATH: install Debian's docker.io (`deno task setup` does as root)");
        }
        const text = await Deno.readTextFile(logPath).catch(() => "");
        throw new Error(`dockerd did not come up (${exited ? "it exited" : "60 s"}):\n${text.slice(-3000)}`);
      }
    }
  }

  /** Stops the daemon by its pid (SIGTERM stops its containers first), then SIGKILL after 60 s. */
  async stop(): Promise<void> {
    try {
      Deno.kill(this.#child.pid, "SIGTERM");
    } catch { /* gone */ }
    const timer = setTimeout(() => {
      try {
        Deno.kill(this.#child.pid, "SIGKILL");
      } catch { /* gone */ }
    }, 60_000);
    await this.#child.status;
    clearTimeout(timer);
    // dockerd leaves its default network namespace bind-mounted in the exec root; without the unmount the folder
    // could not be removed.
    await new Deno.Command("umount", { args: [`${this.#execRoot}/netns/default`], stdout: "null", stderr: "null" })
      .output().catch(() => {});
  }
}
