/**
 * Docker Compose v2 syntax (`docker compose`) for the compose tests and for users whose Docker lacks it: Compose v5
 * built from the Go module proxy. `go install` refuses the module (its go.mod has `replace` directives), so setup does
 * what `go install` would do by hand: `go mod download` the module, copy its read-only folder, `go build ./cmd` there.
 * The binary is cached in the machine cache by version and linked as a CLI plugin into `.cache/docker/cli-plugins/`
 * (tests point `DOCKER_CONFIG` at `.cache/docker`) and into `~/.docker/cli-plugins/` when nothing is there yet.
 *
 * @module
 */
import { runCommand, tail } from "./exec.ts";
import { ensureGo } from "./go_toolchain.ts";
import { exists, linkInto, machineCacheDir, repoPath } from "./paths.ts";
import type { StepResult } from "./report.ts";

/** The pinned Compose release. */
export const COMPOSE_VERSION = "v5.6.0";
/** Its Go module. */
export const COMPOSE_MODULE = "github.com/docker/compose/v5";

/** `DOCKER_CONFIG` folder the tests and the compose tasks use (holds `cli-plugins/docker-compose`). */
export const DOCKER_CONFIG_DIR: string = repoPath(".cache", "docker");

/** Where the machine cache keeps the binary for {@linkcode COMPOSE_VERSION}. */
export function composeCachePath(): string {
  return `${machineCacheDir()}/docker-compose-${COMPOSE_VERSION}/docker-compose`;
}

/** True when `bin` runs and reports the pinned version. */
export async function isPinnedCompose(bin: string): Promise<boolean> {
  const result = await runCommand(bin, ["version", "--short"], { timeoutMs: 20_000 });
  return result.code === 0 && result.output.trim().replace(/^v/, "") === COMPOSE_VERSION.slice(1);
}

/** Builds the pinned Compose into `out` with `go`; returns the build's exit code and output. */
async function buildCompose(go: string, out: string, stream: boolean): Promise<{ code: number; output: string }> {
  const download = await runCommand(go, ["mod", "download", "-json", `${COMPOSE_MODULE}@${COMPOSE_VERSION}`], {
    env: { GOFLAGS: "-modcacherw" },
    timeoutMs: 20 * 60_000,
  });
  if (download.code !== 0) return { code: download.code, output: `go mod download: ${download.output}` };
  const dir = (JSON.parse(download.output) as { Dir?: string }).Dir;
  if (!dir) return { code: 1, output: `go mod download printed no Dir:\n${download.output}` };
  const work = await Deno.makeTempDir({ prefix: "compose-build-" });
  try {
    const copy = await runCommand("cp", ["-r", `${dir}/.`, work], { timeoutMs: 5 * 60_000 });
    if (copy.code !== 0) return copy;
    await runCommand("chmod", ["-R", "u+w", work]);
    const ldflags = `-s -w -X ${COMPOSE_MODULE}/internal.Version=${COMPOSE_VERSION}`;
    return await runCommand(go, ["build", "-trimpath", "-ldflags", ldflags, "-o", out, "./cmd"], {
      cwd: work,
      stream,
      env: { GOFLAGS: "-modcacherw", CGO_ENABLED: "0" },
      timeoutMs: 45 * 60_000,
    });
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

/** Makes sure the pinned Compose plugin is in the machine cache and linked where Docker's CLI finds it. */
export async function ensureComposePlugin(options: { stream: boolean }): Promise<StepResult> {
  const name = "docker compose plugin";
  const cached = composeCachePath();
  const fallback = "compose tests cannot run; install Docker's compose plugin (docker compose version)";
  let status: StepResult["status"] = "present";
  if (!(await exists(cached))) {
    let go: string;
    try {
      go = await ensureGo();
    } catch (error) {
      return {
        name,
        status: "left-out",
        detail: `no Go >= 1.26 (${error instanceof Error ? error.message : error})`,
        fallback,
      };
    }
    const folder = cached.slice(0, cached.lastIndexOf("/"));
    await Deno.mkdir(folder, { recursive: true });
    if (!options.stream) console.log(`setup: building docker compose ${COMPOSE_VERSION} with go build (minutes)`);
    const partial = `${cached}.partial`;
    const result = await buildCompose(go, partial, options.stream);
    if (result.code !== 0 || !(await isPinnedCompose(partial))) {
      await Deno.remove(partial).catch(() => {});
      return {
        name,
        status: "left-out",
        detail: `build failed (exit ${result.code})\n${tail(result.output)}`,
        fallback,
      };
    }
    await Deno.rename(partial, cached);
    status = "installed";
  }
  await linkInto(cached, `${DOCKER_CONFIG_DIR}/cli-plugins/docker-compose`);
  // The user's own Docker config gets the plugin only when it has none: an installed Compose is never replaced.
  const home = Deno.env.get("HOME");
  const userPlugin = `${home}/.docker/cli-plugins/docker-compose`;
  if (home && !(await Deno.lstat(userPlugin).catch(() => null))) await linkInto(cached, userPlugin).catch(() => false);
  return { name, status, detail: `${COMPOSE_VERSION} at ${cached}` };
}

if (import.meta.main) {
  const result = await ensureComposePlugin({ stream: true });
  console.log(`${result.name}: ${result.status} ${result.detail}`);
  if (result.status === "left-out") Deno.exit(1);
}
