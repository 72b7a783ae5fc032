/**
 * The WebSocket frame-size bound as it really is (Deno 2.9 has no per-socket limit: `Deno.upgradeWebSocket` takes no
 * maximum, and Caddy's proxy passes upgraded streams through unlimited): Deno reads a frame whole up to 64 MiB, and a
 * frame whose header announces more is refused from its header, before any payload is read. Measured against the real
 * orchestrator (light stack, authenticated client) over a raw TCP socket: a 60 MiB frame is taken and the session is
 * closed by our audio budget, the process's memory grows by about the frame and comes back; a 65 MiB frame is cut off
 * with no growth; the service is healthy and a good session works afterwards.
 *
 * @module
 */
import assert from "node:assert/strict";
import { LIGHT_KEY, startLightStack } from "./light_stack.ts";
import { UPGRADE_HEADERS } from "../../harness/raw_upgrade.ts";

const MiB = 1024 * 1024;

/** Upgrades a raw connection with the stack's key; returns it after the 101. */
async function rawUpgrade(wsUrl: string): Promise<Deno.TcpConn> {
  const url = new URL(wsUrl);
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  const headers = { host: url.host, ...UPGRADE_HEADERS, "sec-websocket-protocol": `voice.v1, auth.${LIGHT_KEY}` };
  const request = `GET ${url.pathname || "/"} HTTP/1.1\r\n${
    Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join("\r\n")
  }\r\n\r\n`;
  await conn.write(new TextEncoder().encode(request));
  const buffer = new Uint8Array(4096);
  const n = await conn.read(buffer);
  const head = new TextDecoder().decode(buffer.subarray(0, n ?? 0));
  assert.match(head, /^HTTP\/1\.1 101/, head.slice(0, 80));
  return conn;
}

/** Reads server frames (unmasked) until a close frame; its code, or null when the connection ends without one. */
async function closeCodeOf(conn: Deno.TcpConn): Promise<number | null> {
  let data = new Uint8Array(0);
  const buffer = new Uint8Array(65_536);
  for (;;) {
    let at = 0;
    while (data.length - at >= 2) {
      const opcode = data[at] & 0x0f;
      let length = data[at + 1] & 0x7f, offset = 2;
      if (length === 126) [length, offset] = [(data[at + 2] << 8) | data[at + 3], 4];
      if (length === 127) return null; // no frame this large comes from the server
      if (data.length - at < offset + length) break;
      if (opcode === 0x8) return length >= 2 ? (data[at + offset] << 8) | data[at + offset + 1] : 1005;
      at += offset + length;
    }
    const n = await conn.read(buffer).catch(() => null);
    if (n === null) return null;
    data = Uint8Array.from([...data.subarray(at), ...buffer.subarray(0, n)]);
  }
}

/**
 * Sends one masked binary frame of `bytes` (mask key 0, so the payload is zeros) in 1 MiB writes; returns how many
 * payload bytes the server took before it closed, the server's close code if one came, and the peak RSS seen.
 */
async function sendFrame(
  conn: Deno.TcpConn,
  bytes: number,
): Promise<{ sent: number; closeCode: number | null; peakRss: number }> {
  const header = new Uint8Array(14);
  header[0] = 0x82; // FIN + binary
  header[1] = 0x80 | 127; // masked, 64-bit length
  new DataView(header.buffer).setBigUint64(2, BigInt(bytes));
  let peakRss = Deno.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, Deno.memoryUsage().rss)), 20);
  const reply = closeCodeOf(conn);
  let sent = 0;
  try {
    await conn.write(header);
    const chunk = new Uint8Array(MiB);
    while (sent < bytes) {
      const size = Math.min(chunk.length, bytes - sent);
      sent += await conn.write(chunk.subarray(0, size));
    }
  } catch {
    // The server closed the connection while we were still sending: that is the refusal.
  }
  const closeCode = await Promise.race([reply, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
  await new Promise((r) => setTimeout(r, 200));
  clearInterval(sampler);
  peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
  try {
    conn.close();
  } catch { /* closed already */ }
  return { sent, closeCode, peakRss };
}

Deno.test("websocket frames: 60 MiB is read whole and then refused by our limits; over 64 MiB is cut off at the header", async () => {
  const stack = await startLightStack();
  try {
    const before = Deno.memoryUsage().rss;
    const big = await sendFrame(await rawUpgrade(stack.orchestrator.wsUrl), 60 * MiB);
    const afterBig = Deno.memoryUsage().rss;
    const huge = await sendFrame(await rawUpgrade(stack.orchestrator.wsUrl), 65 * MiB);
    console.log(
      `RSS before ${(before / MiB).toFixed(0)} MiB; 60 MiB frame: all ${big.sent === 60 * MiB} sent, close ` +
        `${big.closeCode}, peak +${((big.peakRss - before) / MiB).toFixed(0)} MiB, after +${
          ((afterBig - before) / MiB).toFixed(0)
        } MiB; 65 MiB frame: ${(huge.sent / MiB).toFixed(1)} MiB sent, close ${huge.closeCode}, peak +${
          ((huge.peakRss - afterBig) / MiB).toFixed(0)
        } MiB`,
    );
    assert.equal(big.sent, 60 * MiB, "a 60 MiB frame is under Deno's cap and is read whole");
    assert.ok(big.closeCode !== null && big.closeCode >= 1000, "the session was not closed after the 60 MiB frame");
    assert.ok(big.peakRss - before < 4 * 60 * MiB, `a 60 MiB frame cost ${(big.peakRss - before) / MiB} MiB`);
    assert.ok(huge.peakRss - afterBig < 32 * MiB, "a frame over 64 MiB was buffered instead of refused at its header");
    assert.ok(await stack.healthy(), "unhealthy after the big frames");
    await stack.goodSession();
  } finally {
    await stack.close();
  }
});
