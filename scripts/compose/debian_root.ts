/**
 * The Debian root every stand-in image starts from: `debootstrap --variant=minbase bookworm`, packed once into a
 * tarball in the machine cache, then `docker import`ed as {@linkcode DEBIAN_IMAGE}. debootstrap needs root (it
 * creates device nodes and chroots); the tarball is reused by every later run and clone.
 *
 * The host's own extra CA certificates (/usr/local/share/ca-certificates, e.g. an egress proxy's) are added to the
 * root, and the usual CA-bundle variables point at the merged bundle, so image builds that fetch from npm or PyPI
 * through such a proxy work; on a machine without extra CAs nothing is added.
 *
 * @module
 */
import { runCommand, tail } from "../setup/exec.ts";
import { exists, machineCacheDir } from "../setup/paths.ts";
import { docker, imageLabels } from "./docker.ts";

/** The imported Debian image the stand-ins build on. */
export const DEBIAN_IMAGE = "voice-chat/debian:bookworm";
/** The Debian release. */
export const DEBIAN_SUITE = "bookworm";

const SOURCES = `Types: deb
URIs: MIRROR
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: SECURITY
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;

/** Where the machine cache keeps the root tarball. */
export function debianRootTarball(): string {
  return `${machineCacheDir()}/docker-images/debian-${DEBIAN_SUITE}-minbase.tar`;
}

/** The host's extra CA certificates (file paths), added to the root. */
async function hostExtraCas(): Promise<string[]> {
  const dir = "/usr/local/share/ca-certificates";
  const found: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) if (entry.name.endsWith(".crt")) found.push(`${dir}/${entry.name}`);
  } catch { /* none */ }
  return found.sort();
}

/** A fingerprint of what goes into the root: suite, mirror and the extra CAs (their bytes). */
async function recipeFingerprint(mirror: string, cas: string[]): Promise<string> {
  const parts = [DEBIAN_SUITE, mirror, SOURCES];
  for (const ca of cas) parts.push(await Deno.readTextFile(ca));
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(parts.join("\n")));
  return Array.from(new Uint8Array(digest).slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function run(cmd: string, args: string[], stream: boolean, timeoutMs = 20 * 60_000): Promise<void> {
  const result = await runCommand(cmd, args, { stream, timeoutMs });
  if (result.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${result.code})\n${tail(result.output)}`);
  }
}

/** Makes the root tarball with debootstrap (root only). */
async function buildTarball(tarball: string, mirror: string, cas: string[], stream: boolean): Promise<void> {
  if (Deno.uid?.() !== 0) {
    throw new Error("debootstrap needs root: run `sudo deno task compose:images` once (the result is cached)");
  }
  const work = await Deno.makeTempDir({ prefix: "debian-root-" });
  const root = `${work}/root`;
  try {
    console.log(`compose:images: debootstrap ${DEBIAN_SUITE} from ${mirror} (about 2 minutes, once)`);
    await run("debootstrap", ["--variant=minbase", "--include=ca-certificates", DEBIAN_SUITE, root, mirror], stream);
    const security = mirror.replace(/\/debian\/?$/, "/debian-security");
    await Deno.remove(`${root}/etc/apt/sources.list`).catch(() => {});
    await Deno.writeTextFile(
      `${root}/etc/apt/sources.list.d/debian.sources`,
      SOURCES.replace("MIRROR", mirror).replace("SECURITY", security),
    );
    for (const ca of cas) await Deno.copyFile(ca, `${root}/usr/local/share/ca-certificates/${ca.split("/").pop()}`);
    if (cas.length) await run("chroot", [root, "update-ca-certificates"], stream);
    await run("chroot", [root, "apt-get", "clean"], stream);
    await run(
      "sh",
      ["-c", `rm -rf ${root}/var/lib/apt/lists/* ${root}/var/cache/apt/*.bin ${root}/var/log/*.log`],
      false,
    );
    await Deno.mkdir(tarball.slice(0, tarball.lastIndexOf("/")), { recursive: true });
    await run("tar", ["--numeric-owner", "-C", root, "-cf", `${tarball}.partial`, "."], stream);
    await Deno.rename(`${tarball}.partial`, tarball);
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

/** Makes sure {@linkcode DEBIAN_IMAGE} exists in the engine `env` points at; returns true when it was (re)built. */
export async function ensureDebianImage(
  options: { env?: Record<string, string>; stream: boolean; mirror?: string },
): Promise<boolean> {
  const mirror = options.mirror ?? Deno.env.get("DEBIAN_MIRROR") ?? "http://deb.debian.org/debian";
  const cas = await hostExtraCas();
  const fingerprint = await recipeFingerprint(mirror, cas);
  const labels = await imageLabels(DEBIAN_IMAGE, options.env);
  if (labels?.["voice-chat.recipe"] === fingerprint) return false;
  const tarball = debianRootTarball();
  const stamp = `${tarball}.recipe`;
  const stamped = (await Deno.readTextFile(stamp).catch(() => "")).trim();
  if (!(await exists(tarball)) || stamped !== fingerprint) {
    await buildTarball(tarball, mirror, cas, options.stream);
    await Deno.writeTextFile(stamp, fingerprint);
  }
  const caEnv = cas.length
    ? [
      "--change",
      "ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt " +
      "PIP_CERT=/etc/ssl/certs/ca-certificates.crt NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt " +
      "DENO_TLS_CA_STORE=system",
    ]
    : [];
  await docker([
    "import",
    "--change",
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ...caEnv,
    "--change",
    `LABEL voice-chat.recipe=${fingerprint} voice-chat.stand-in=debian:${DEBIAN_SUITE}`,
    "--change",
    'CMD ["bash"]',
    "-",
    DEBIAN_IMAGE,
  ], { env: options.env, stdinFile: tarball });
  return true;
}
