/**
 * Sends a WebSocket upgrade request over a raw TCP connection and returns the HTTP status the server answered with
 * (101 when it upgraded), so tests can check refusals that must come before the upgrade.
 *
 * @module
 */

/** Default handshake headers of a well-formed upgrade. */
export const UPGRADE_HEADERS: Record<string, string> = {
  upgrade: "websocket",
  connection: "Upgrade",
  "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
  "sec-websocket-version": "13",
};

/** The status of an upgrade request to `wsUrl` (`ws://host:port[/path]`) with `headers` (null values are left out). */
export async function upgradeStatus(wsUrl: string, headers: Record<string, string | null> = {}): Promise<number> {
  const url = new URL(wsUrl);
  const conn = await Deno.connect({ hostname: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port) });
  try {
    const all: Record<string, string | null> = { host: url.host, ...UPGRADE_HEADERS, ...headers };
    const lines = Object.entries(all).filter(([, v]) => v !== null).map(([k, v]) => `${k}: ${v}`);
    const path = `${url.pathname || "/"}${url.search}`;
    await conn.write(new TextEncoder().encode(`GET ${path} HTTP/1.1\r\n${lines.join("\r\n")}\r\n\r\n`));
    const buffer = new Uint8Array(1024);
    let text = "";
    const deadline = Date.now() + 5000;
    while (!text.includes("\r\n") && Date.now() < deadline) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
    const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
    if (!status) throw new Error(`no HTTP status line in ${JSON.stringify(text.slice(0, 100))}`);
    return Number(status[1]);
  } finally {
    conn.close();
  }
}
