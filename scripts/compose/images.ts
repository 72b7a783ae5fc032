/**
 * `deno task compose:images [--base-only]`: builds every image docker-compose.yml needs in the engine `DOCKER_HOST`
 * points at, for machines without an image registry. First the Debian root (debian_root.ts), then the stand-ins for
 * the third-party images under their own tags (standins.ts), then the project's images from docker/*.Dockerfile.
 * Idempotent: a stand-in is rebuilt only when its recipe changed (label `voice-chat.recipe`), the project images
 * reuse Docker's layer cache. Image builds use the host network; nothing else does. Prints each image's build time
 * and size.
 *
 * @module
 */
import { ensureLivekitServer, findLivekitServer, LIVEKIT_VERSION } from "../setup/livekit.ts";
import { repoPath } from "../setup/paths.ts";
import { ensureDebianImage } from "./debian_root.ts";
import { docker, imageLabels, imageSize } from "./docker.ts";
import { type StandIn, standIns } from "./standins.ts";

/**
 * The project's own images, their Dockerfiles and the build stages kept under a tag of their own: the classic
 * builder finds its cache only in images that still exist, so a tagged stage survives the pruning of untagged images
 * after each build, and the next build reuses it (the assets stage's pip install and Whisper conversion, the CUDA
 * provider download).
 */
export const PROJECT_IMAGES: readonly { tag: string; dockerfile: string; cachedStages: string[] }[] = [
  { tag: "voice-chat/deno:latest", dockerfile: "docker/deno.Dockerfile", cachedStages: ["assets"] },
  { tag: "voice-chat/cosyvoice:latest", dockerfile: "docker/cosyvoice.Dockerfile", cachedStages: ["ort-cuda"] },
];

/** One image's outcome. */
export interface ImageReport {
  tag: string;
  /** "built" or "cached". */
  status: "built" | "cached";
  seconds: number;
  bytes: number;
}

/** The Deno version the Dockerfiles pin (ARG DENO_VERSION). */
export async function dockerfileDenoVersion(): Promise<string> {
  const text = await Deno.readTextFile(repoPath("docker", "deno.Dockerfile"));
  const match = /^ARG DENO_VERSION=(\S+)$/m.exec(text);
  if (!match) throw new Error("docker/deno.Dockerfile has no ARG DENO_VERSION=…");
  return match[1];
}

async function sha(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest).slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A fingerprint of a stand-in recipe: its Dockerfile, scripts, the files' identity and the base image's id. */
async function recipe(standIn: StandIn, baseId: string): Promise<string> {
  const parts = [standIn.dockerfile, JSON.stringify(standIn.scripts ?? {}), baseId];
  for (const [name, path] of Object.entries(standIn.files ?? {})) {
    const info = await Deno.stat(path);
    parts.push(`${name}:${info.size}:${info.mtime?.getTime()}`);
  }
  return await sha(parts.join("\n"));
}

async function buildStandIn(standIn: StandIn, fingerprint: string, env: Record<string, string>, stream: boolean) {
  const context = await Deno.makeTempDir({ prefix: "standin-" });
  try {
    for (const [name, path] of Object.entries(standIn.files ?? {})) await Deno.copyFile(path, `${context}/${name}`);
    for (const [name, text] of Object.entries(standIn.scripts ?? {})) {
      await Deno.writeTextFile(`${context}/${name}`, text);
    }
    await Deno.writeTextFile(`${context}/Dockerfile`, standIn.dockerfile);
    await docker(
      ["build", "--network", "host", "--label", `voice-chat.recipe=${fingerprint}`, "-t", standIn.tag, context],
      { env, stream },
    );
  } finally {
    await Deno.remove(context, { recursive: true }).catch(() => {});
  }
}

/** Builds what is missing or stale; returns one report per image. */
export async function buildImages(
  options: { env?: Record<string, string>; stream?: boolean; baseOnly?: boolean; log?: (line: string) => void } = {},
): Promise<ImageReport[]> {
  const env = { DOCKER_BUILDKIT: "0", ...options.env };
  const stream = options.stream ?? false;
  const log = options.log ?? console.log;
  const reports: ImageReport[] = [];
  const timed = async (tag: string, work: () => Promise<boolean>) => {
    const started = performance.now();
    const built = await work();
    const report: ImageReport = {
      tag,
      status: built ? "built" : "cached",
      seconds: (performance.now() - started) / 1000,
      bytes: await imageSize(tag, env),
    };
    log(`compose:images: ${tag} ${report.status} in ${report.seconds.toFixed(1)} s (${formatBytes(report.bytes)})`);
    reports.push(report);
  };

  await timed("voice-chat/debian:bookworm", () => ensureDebianImage({ env, stream }));
  let livekit = await findLivekitServer();
  if (!livekit) {
    const result = await ensureLivekitServer({ stream });
    livekit = await findLivekitServer();
    if (!livekit) throw new Error(`no livekit-server for its stand-in image: ${result.detail}`);
  }
  const denoVersion = await dockerfileDenoVersion();
  if (Deno.version.deno !== denoVersion) {
    throw new Error(
      `the Dockerfiles pin Deno ${denoVersion} but this is Deno ${Deno.version.deno} (.tools/package.json)`,
    );
  }
  const baseId = (await docker(["image", "inspect", "--format", "{{.Id}}", "voice-chat/debian:bookworm"], { env }))
    .stdout.trim();
  const recipes = standIns({
    livekitBinary: await Deno.realPath(livekit),
    livekitVersion: LIVEKIT_VERSION,
    denoBinary: Deno.execPath(),
    denoVersion,
  });
  for (const standIn of recipes) {
    await timed(standIn.tag, async () => {
      const fingerprint = await recipe(standIn, baseId);
      if ((await imageLabels(standIn.tag, env))?.["voice-chat.recipe"] === fingerprint) return false;
      await buildStandIn(standIn, fingerprint, env, stream);
      return true;
    });
  }
  if (options.baseOnly) return reports;
  for (const image of PROJECT_IMAGES) {
    await timed(image.tag, async () => {
      const before = (await imageLabels(image.tag, env)) ? await imageId(image.tag, env) : "";
      const build = (args: string[]) =>
        docker(["build", "--network", "host", "-f", image.dockerfile, ...args, "."], { env, stream, cwd: repoPath() });
      for (const stage of image.cachedStages) {
        await build(["--target", stage, "-t", `${image.tag.split(":")[0]}:cache-${stage}`]);
      }
      await build(["-t", image.tag]);
      return (await imageId(image.tag, env)) !== before;
    });
  }
  // Earlier builds' untagged images would pile up in the engine's data root, run after run.
  await docker(["image", "prune", "--force"], { env });
  return reports;
}

async function imageId(tag: string, env: Record<string, string>): Promise<string> {
  return (await docker(["image", "inspect", "--format", "{{.Id}}", tag], { env })).stdout.trim();
}

/** `123.4 MB`. */
export function formatBytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

if (import.meta.main) {
  const unknown = Deno.args.filter((a) => a !== "--base-only");
  if (unknown.length) {
    console.error(`compose:images: unknown argument(s) ${unknown.join(" ")}; known: --base-only`);
    Deno.exit(2);
  }
  try {
    const started = performance.now();
    await buildImages({ stream: true, baseOnly: Deno.args.includes("--base-only") });
    console.log(`compose:images: done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  } catch (error) {
    console.error(`compose:images: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
}
