/**
 * Debian packages the stack and its tests use. As root setup installs the missing ones; otherwise it prints the exact
 * apt-get command for the user to run.
 *
 * @module
 */
import { runCommand, tail } from "./exec.ts";
import type { StepResult } from "./report.ts";

/** What only the tests and the container tooling need (a dev stack runs without them). */
export const TEST_ONLY_APT_PACKAGES: readonly string[] = ["docker.io", "debootstrap"];

/** Every Debian package the dev stack, the tests and the compose validation need. */
export const APT_PACKAGES: readonly string[] = [
  "redis-server",
  "caddy",
  "chromium",
  "espeak-ng",
  "flite",
  "sox",
  "pocketsphinx",
  "pocketsphinx-en-us",
  "protobuf-compiler",
  "docker.io",
  "debootstrap",
];

/** The Debian packages one setup mode installs: the dev tasks' `--quick` leaves out the tests' tools. */
export function aptPackagesFor(options: { quick: boolean }): readonly string[] {
  return options.quick ? APT_PACKAGES.filter((p) => !TEST_ONLY_APT_PACKAGES.includes(p)) : APT_PACKAGES;
}

/** What each package is for, and what happens without it. */
const FALLBACKS: Record<string, string> = {
  "redis-server": "no Redis: the orchestrator routes to a static worker address",
  caddy: "no Caddy: plain http on localhost, served by the orchestrator",
  chromium: "browser end-to-end tests cannot run",
  "docker.io": "no Docker engine: the compose tests cannot start one",
  debootstrap: "no Debian root for the stand-in images: `deno task compose:images` cannot build them",
};

/** Packages from `packages` that dpkg does not report as installed. */
export async function missingAptPackages(packages: readonly string[] = APT_PACKAGES): Promise<string[]> {
  const result = await runCommand("dpkg-query", ["-W", "-f=${Package} ${Status}\n", ...packages], {
    timeoutMs: 30_000,
  });
  if (result.code === 127) return [...packages]; // not a Debian system: report all as missing
  const installed = new Set(
    result.output.split("\n").filter((l) => l.endsWith(" install ok installed")).map((l) => l.split(" ")[0]),
  );
  return packages.filter((p) => !installed.has(p));
}

/** The command a user runs to install `packages`. */
export function aptInstallCommand(packages: readonly string[]): string {
  return `sudo apt-get update && sudo apt-get install -y ${packages.join(" ")}`;
}

/** True when this process runs as root (so apt-get may be called directly). */
export function isRoot(): boolean {
  return Deno.uid?.() === 0;
}

/** Installs the missing packages when root; reports the command to run otherwise. */
export async function ensureAptPackages(
  options: { stream: boolean; packages?: readonly string[] },
): Promise<StepResult> {
  const packages = options.packages ?? APT_PACKAGES;
  const missing = await missingAptPackages(packages);
  if (missing.length === 0) return { name: "debian packages", status: "present", detail: packages.join(" ") };
  const fallback = missing.map((p) => FALLBACKS[p]).filter(Boolean).join("; ") || undefined;
  if (!isRoot()) {
    return {
      name: "debian packages",
      status: "left-out",
      detail: `missing ${missing.join(" ")}; run: ${aptInstallCommand(missing)}`,
      fallback,
    };
  }
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  const update = await runCommand("apt-get", ["update", "-q"], { stream: options.stream, env, timeoutMs: 10 * 60_000 });
  const install = update.code === 0
    ? await runCommand("apt-get", ["install", "-y", "-q", ...missing], {
      stream: options.stream,
      env,
      timeoutMs: 30 * 60_000,
    })
    : update;
  const still = await missingAptPackages(missing);
  if (still.length === 0) return { name: "debian packages", status: "installed", detail: missing.join(" ") };
  return {
    name: "debian packages",
    status: "left-out",
    detail: `apt-get failed (exit ${install.code}) for ${still.join(" ")}\n${tail(install.output, 8)}`,
    fallback,
  };
}
