/**
 * Exits 0 when a URL answers with a 2xx status within the timeout, 1 otherwise (compose healthchecks: the images
 * have no curl).
 *
 * Usage: `deno run --allow-net=127.0.0.1:8081 scripts/http_health_probe.ts http://127.0.0.1:8081/health [timeout_ms]`
 *
 * @module
 */

/** Fetches `url` and reports whether it answered 2xx, with the status or the error. */
export async function checkHttpHealth(url: string, timeoutMs = 3000): Promise<{ ok: boolean; detail: string }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return { ok: response.ok, detail: `HTTP ${response.status}` };
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
}

if (import.meta.main) {
  const [url, timeout = "3000"] = Deno.args;
  if (!url || !/^https?:\/\//.test(url)) {
    console.error("usage: http_health_probe.ts <http(s)://host:port/path> [timeout_ms]");
    Deno.exit(2);
  }
  const result = await checkHttpHealth(url, Number(timeout) || 3000);
  console.log(result.detail);
  Deno.exit(result.ok ? 0 : 1);
}
