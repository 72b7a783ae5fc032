/**
 * A Go toolchain new enough to build the LiveKit server (≥ 1.26). Debian's own Go is 1.19, too old even for Go's
 * automatic toolchain switching, so when no suitable `go` is installed setup fetches the official toolchain the way
 * `go` itself does: the module `golang.org/toolchain` from the Go module proxy, unpacked once into the machine cache.
 *
 * @module
 */
import { downloadFile } from "../../shared/fetch/mod.ts";
import { runCommand } from "./exec.ts";
import { exists, machineCacheDir, which } from "./paths.ts";

/** The Go release setup fetches when none is installed. */
export const GO_TOOLCHAIN_VERSION = "1.26.8";
/** The oldest Go minor version that builds the pinned LiveKit server. */
const MIN_GO_MINOR = 26;

/** The toolchain module's version string for this machine, e.g. `v0.0.1-go1.26.8.linux-amd64`. */
export function toolchainModuleVersion(version = GO_TOOLCHAIN_VERSION): string {
  const arch = Deno.build.arch === "aarch64" ? "arm64" : "amd64";
  return `v0.0.1-go${version}.linux-${arch}`;
}

/** True when `goVersion` (as `go env GOVERSION` prints it, e.g. `go1.26.8`) is new enough. */
export function isRecentEnough(goVersion: string): boolean {
  const match = /^go1\.(\d+)/.exec(goVersion.trim());
  return match !== null && Number(match[1]) >= MIN_GO_MINOR;
}

async function goVersionOf(go: string): Promise<string | null> {
  const result = await runCommand(go, ["env", "GOVERSION"], { env: { GOTOOLCHAIN: "local" }, timeoutMs: 30_000 });
  return result.code === 0 ? result.output.trim() : null;
}

/** An installed `go` that is recent enough, else null. */
async function installedGo(): Promise<string | null> {
  for (const candidate of [await which("go"), "/usr/local/go/bin/go"]) {
    if (!candidate || !(await exists(candidate))) continue;
    const version = await goVersionOf(candidate);
    if (version && isRecentEnough(version)) return candidate;
  }
  return null;
}

/**
 * Returns a `go` binary ≥ 1.26: the installed one, or the toolchain fetched from the Go module proxy into the
 * machine cache (about 70 MB, once). Throws with a readable message when neither can be had.
 */
export async function ensureGo(options: { proxy?: string } = {}): Promise<string> {
  const installed = await installedGo();
  if (installed) return installed;
  const moduleVersion = toolchainModuleVersion();
  const root = `${machineCacheDir()}/go-toolchain`;
  const goBin = `${root}/golang.org/toolchain@${moduleVersion}/bin/go`;
  if (await exists(goBin)) return goBin;
  const proxy = (options.proxy ?? Deno.env.get("GOPROXY")?.split(",")[0] ?? "https://proxy.golang.org")
    .replace(/\/$/, "");
  const zip = `${root}/${moduleVersion}.zip`;
  await Deno.mkdir(root, { recursive: true });
  await downloadFile({
    url: `${proxy}/golang.org/toolchain/@v/${moduleVersion}.zip`,
    dest: zip,
    label: `Go ${GO_TOOLCHAIN_VERSION} toolchain`,
  });
  const unzip = await runCommand("python3", ["-m", "zipfile", "-e", zip, root], { timeoutMs: 10 * 60_000 });
  if (unzip.code !== 0 || !(await exists(goBin))) {
    throw new Error(`could not unpack ${zip} (python3 -m zipfile): ${unzip.output.slice(-500)}`);
  }
  // Zip archives drop the executable bits.
  for (const dir of ["bin", `pkg/tool/linux_${toolchainModuleVersion().endsWith("arm64") ? "arm64" : "amd64"}`]) {
    for await (const entry of Deno.readDir(`${root}/golang.org/toolchain@${moduleVersion}/${dir}`)) {
      if (entry.isFile) await Deno.chmod(`${root}/golang.org/toolchain@${moduleVersion}/${dir}/${entry.name}`, 0o755);
    }
  }
  await Deno.remove(zip).catch(() => {});
  await Deno.remove(`${zip}.sha256`).catch(() => {});
  return goBin;
}
