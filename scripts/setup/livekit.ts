/**
 * The LiveKit server binary for the dev stack and the end-to-end tests. There is no Debian or npm package, so it is
 * built once with `go install` (Go module proxy) into the machine cache, keyed by version, and linked into the
 * repository as `.cache/bin/livekit-server`. Without a Go ≥ 1.26 the toolchain itself comes from the Go module
 * proxy (see go_toolchain.ts).
 *
 * @module
 */
import { runCommand, tail } from "./exec.ts";
import { ensureGo } from "./go_toolchain.ts";
import { exists, linkInto, machineCacheDir, repoPath, which } from "./paths.ts";
import type { StepResult } from "./report.ts";

/** The pinned server release (this tag's go.mod has no `replace` directives, so `go install` works). */
export const LIVEKIT_VERSION = "v1.13.5";

/** The Go package that builds the server. */
export const LIVEKIT_GO_PACKAGE = "github.com/livekit/livekit-server/cmd/server";

/** Where the machine cache keeps the binary for {@linkcode LIVEKIT_VERSION}. */
export function livekitCachePath(): string {
  return `${machineCacheDir()}/livekit-server-${LIVEKIT_VERSION}/livekit-server`;
}

/** The link inside the repository that tasks and tests use. */
export const LIVEKIT_REPO_PATH: string = repoPath(".cache", "bin", "livekit-server");

/** True when `bin` runs and reports the pinned version. */
export async function isPinnedLivekit(bin: string): Promise<boolean> {
  const result = await runCommand(bin, ["--version"], { timeoutMs: 20_000 });
  return result.code === 0 && result.output.includes(LIVEKIT_VERSION.slice(1));
}

/**
 * Finds a usable server binary: `LIVEKIT_SERVER_BIN` (when set, only that), the repository link, the machine cache,
 * then `livekit-server` on PATH. Returns null when there is none.
 */
export async function findLivekitServer(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<string | null> {
  const explicit = env.LIVEKIT_SERVER_BIN;
  if (explicit) return (await exists(explicit)) ? explicit : null;
  for (const candidate of [LIVEKIT_REPO_PATH, livekitCachePath()]) {
    if (await exists(candidate)) return candidate;
  }
  return await which("livekit-server", env.PATH ?? "");
}

/** A binary someone already built with a plain `go install` (GOBIN unset) that can be adopted instead of rebuilding. */
async function adoptableBuild(): Promise<string | null> {
  const home = Deno.env.get("HOME") ?? "";
  const gopath = Deno.env.get("GOPATH") ?? `${home}/go`;
  const candidate = `${gopath}/bin/server`;
  return (await exists(candidate)) && (await isPinnedLivekit(candidate)) ? candidate : null;
}

/** Makes sure the pinned server is in the machine cache and linked into the repository. */
export async function ensureLivekitServer(options: { stream: boolean }): Promise<StepResult> {
  const name = "livekit-server";
  const cached = livekitCachePath();
  const fallback = "no LiveKit: the browser uses the WebSocket transport, page served by the orchestrator";
  let status: StepResult["status"] = "present";
  if (!(await exists(cached))) {
    await Deno.mkdir(cached.slice(0, cached.lastIndexOf("/")), { recursive: true });
    const adopted = await adoptableBuild();
    if (adopted) {
      await Deno.copyFile(adopted, cached);
      await Deno.chmod(cached, 0o755);
    } else {
      let go: string;
      try {
        go = await ensureGo();
      } catch (error) {
        return {
          name,
          status: "left-out",
          detail: `no Go >= 1.26 (${error instanceof Error ? error.message : error}); install one, then: ` +
            `go install ${LIVEKIT_GO_PACKAGE}@${LIVEKIT_VERSION}`,
          fallback,
        };
      }
      if (!options.stream) console.log(`setup: building livekit-server ${LIVEKIT_VERSION} with go install (minutes)`);
      const gobin = await Deno.makeTempDir({ dir: cached.slice(0, cached.lastIndexOf("/")), prefix: "build-" });
      const result = await runCommand(go, ["install", `${LIVEKIT_GO_PACKAGE}@${LIVEKIT_VERSION}`], {
        stream: options.stream,
        env: { GOBIN: gobin },
        timeoutMs: 45 * 60_000,
      });
      if (result.code !== 0 || !(await exists(`${gobin}/server`))) {
        await Deno.remove(gobin, { recursive: true }).catch(() => {});
        return {
          name,
          status: "left-out",
          detail: `go install failed (exit ${result.code})\n${tail(result.output, 10)}`,
          fallback,
        };
      }
      await Deno.rename(`${gobin}/server`, cached);
      await Deno.remove(gobin, { recursive: true }).catch(() => {});
    }
    status = "installed";
  }
  if (!(await linkInto(cached, LIVEKIT_REPO_PATH))) {
    return { name, status, detail: `${LIVEKIT_REPO_PATH} is a file of its own; left as is` };
  }
  return { name, status, detail: `${LIVEKIT_VERSION} at ${cached}` };
}
