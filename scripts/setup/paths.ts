/**
 * Where setup puts things: the repository's own `.cache/` (ignored by git) and the machine-wide cache that outlives a
 * clone, so a fresh CI checkout links to a venv or a LiveKit build made by an earlier run instead of rebuilding it.
 *
 * @module
 */

/** Absolute path of the repository root (this file lives in `scripts/setup/`). */
export const REPO_ROOT: string = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** Absolute path of a file or folder inside the repository. */
export function repoPath(...parts: string[]): string {
  return [REPO_ROOT, ...parts].join("/");
}

/**
 * The machine-wide cache for big fetched or built artifacts (LiveKit binary, Python venv, models):
 * `$VOICE_CHAT_CACHE`, else `$XDG_CACHE_HOME/voice-chat`, else `$HOME/.cache/voice-chat`.
 */
export function machineCacheDir(): string {
  const explicit = Deno.env.get("VOICE_CHAT_CACHE");
  if (explicit) return explicit;
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  if (xdg) return `${xdg}/voice-chat`;
  const home = Deno.env.get("HOME") ?? "/tmp";
  return `${home}/.cache/voice-chat`;
}

/** True when a path exists (file, folder or a symlink that resolves). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Points `link` at `target` with a symlink, replacing a stale link; leaves a real file or folder at `link` alone
 * (someone put it there on purpose) and returns false in that case.
 */
export async function linkInto(target: string, link: string): Promise<boolean> {
  const info = await Deno.lstat(link).catch(() => null);
  if (info && !info.isSymlink) return false;
  if (info?.isSymlink) {
    if ((await Deno.readLink(link)) === target) return true;
    await Deno.remove(link);
  }
  await Deno.mkdir(link.slice(0, link.lastIndexOf("/")), { recursive: true });
  await Deno.symlink(target, link);
  return true;
}

/** First executable named `name` on `path` (default: this process's PATH), or null. */
export async function which(name: string, path = Deno.env.get("PATH") ?? ""): Promise<string | null> {
  for (const dir of path.split(":")) {
    if (!dir) continue;
    const candidate = `${dir}/${name}`;
    const info = await Deno.stat(candidate).catch(() => null);
    if (info?.isFile && ((info.mode ?? 0) & 0o111) !== 0) return candidate;
  }
  return null;
}
