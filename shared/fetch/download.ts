/**
 * A generic downloader (Piper voices, Whisper models): streams a URL to a temporary file next to the destination,
 * verifies the size (Content-Length, `expectedSize`) and SHA-256 (`sha256`, or the one the server declares in
 * `X-Linked-ETag`/`ETag` as Hugging Face does), then renames it into place, so a file at `dest` is always complete.
 * A `<dest>.sha256` sidecar records the verified hash; a later call with the file present and matching skips the
 * download.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { dirname } from "node:path";
import { type ProgressReporter, stderrProgress } from "./progress.ts";

/** What to download and how to check it. */
export interface DownloadOptions {
  url: string;
  dest: string;
  expectedSize?: number;
  /** Hex SHA-256 the file must have. */
  sha256?: string;
  /** Byte counts as they arrive; default a progress bar on stderr. Pass `null` for silence. */
  onProgress?: ((received: number, total: number | undefined) => void) | null;
  /** Label of the default progress bar (default the file name). */
  label?: string;
  signal?: AbortSignal;
}

/** The outcome of a download. */
export interface DownloadResult {
  path: string;
  bytes: number;
  sha256: string;
  /** True when the file was already present and verified, and nothing was downloaded. */
  skipped: boolean;
}

/** A download failed; the message names the URL and what went wrong. Nothing is left at `dest`. */
export class DownloadError extends Error {
  constructor(readonly url: string, detail: string, options?: ErrorOptions) {
    super(`download of ${url} failed: ${detail}`, options);
    this.name = "DownloadError";
  }
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Hex SHA-256 of a file. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path);
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}

/** The SHA-256 a response declares for its body, if any (Hugging Face puts it in X-Linked-ETag for LFS files). */
function declaredSha256(headers: Headers): string | undefined {
  for (const name of ["x-linked-etag", "etag"]) {
    const value = headers.get(name)?.replace(/^W\//, "").replaceAll('"', "").toLowerCase();
    if (value && SHA256_HEX.test(value)) return value;
  }
  return undefined;
}

async function presentAndVerified(options: DownloadOptions): Promise<DownloadResult | null> {
  const stat = await Deno.stat(options.dest).catch(() => null);
  if (!stat?.isFile) return null;
  if (options.expectedSize !== undefined && stat.size !== options.expectedSize) return null;
  const recorded = await Deno.readTextFile(`${options.dest}.sha256`).then((t) => t.trim(), () => undefined);
  const wanted = options.sha256?.toLowerCase() ?? recorded;
  if (wanted === undefined && options.expectedSize === undefined) {
    return { path: options.dest, bytes: stat.size, sha256: "", skipped: true };
  }
  const actual = wanted === undefined ? "" : await sha256File(options.dest);
  if (wanted !== undefined && actual !== wanted) return null;
  return { path: options.dest, bytes: stat.size, sha256: actual, skipped: true };
}

/** Downloads `url` to `dest` (see the module doc); throws {@linkcode DownloadError}. */
export async function downloadFile(options: DownloadOptions): Promise<DownloadResult> {
  const present = await presentAndVerified(options);
  if (present) return present;

  const { url, dest } = options;
  let response: Response;
  try {
    response = await fetch(url, { signal: options.signal });
  } catch (error) {
    throw new DownloadError(url, `cannot connect (${error instanceof Error ? error.message : error})`, {
      cause: error,
    });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new DownloadError(url, `HTTP ${response.status} ${response.statusText}`.trim());
  }
  const lengthHeader = response.headers.get("content-length");
  const total = lengthHeader !== null ? Number(lengthHeader) : options.expectedSize;
  const expectedHash = options.sha256?.toLowerCase() ?? declaredSha256(response.headers);
  const reporter: ProgressReporter | null = options.onProgress === null
    ? null
    : options.onProgress
    ? { update: options.onProgress, done: () => {} }
    : stderrProgress(options.label ?? dest.split("/").pop()!);

  await Deno.mkdir(dirname(dest), { recursive: true });
  const temp = `${dest}.part-${crypto.randomUUID().slice(0, 8)}`;
  const hash = createHash("sha256");
  let received = 0;
  try {
    using file = await Deno.open(temp, { write: true, createNew: true });
    try {
      for await (const chunk of response.body ?? new ReadableStream<Uint8Array>()) {
        hash.update(chunk);
        for (let written = 0; written < chunk.length;) written += await file.write(chunk.subarray(written));
        received += chunk.length;
        reporter?.update(received, total);
      }
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new DownloadError(url, `connection lost after ${received} bytes${total ? ` of ${total}` : ""} (${detail})`);
    }
    if (lengthHeader !== null && received !== Number(lengthHeader)) {
      throw new DownloadError(url, `truncated: received ${received} of ${lengthHeader} bytes`);
    }
    if (options.expectedSize !== undefined && received !== options.expectedSize) {
      throw new DownloadError(url, `size mismatch: received ${received} bytes, expected ${options.expectedSize}`);
    }
    const actual = hash.digest("hex");
    if (expectedHash !== undefined && actual !== expectedHash) {
      throw new DownloadError(url, `checksum mismatch: SHA-256 ${actual}, expected ${expectedHash}`);
    }
    await Deno.rename(temp, dest);
    await Deno.writeTextFile(`${dest}.sha256`, `${actual}\n`);
    reporter?.done(received);
    return { path: dest, bytes: received, sha256: actual, skipped: false };
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}
