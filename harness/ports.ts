/**
 * Free loopback ports for test servers (never fixed ports: suites run side by side).
 *
 * Ports come from below the OS ephemeral range when there is room there: a port the OS hands to some other socket
 * bound to port 0 (a WebRTC client's ICE sockets, an HTTP client) can then never take a test server's port between
 * the probe and the server's own bind.
 *
 * @module
 */
import dgram from "node:dgram";

/** Ports already handed out by this process: a probe cannot see that a caller is about to bind one. */
const issued = new Set<number>();

/** The lowest port that may be picked; ports from here up to the ephemeral range are the pool. */
const POOL_LOW = 20_000;
/** A pool smaller than this is not worth it: fall back to ports the OS picks. */
const POOL_MIN_SIZE = 2_000;

/** The first port of the OS ephemeral range (Linux), or undefined where it cannot be read. */
function ephemeralLow(): number | undefined {
  try {
    const text = Deno.readTextFileSync("/proc/sys/net/ipv4/ip_local_port_range");
    const low = Number(text.trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : undefined;
  } catch {
    return undefined;
  }
}

const poolHigh = ephemeralLow();
const usePool = poolHigh !== undefined && poolHigh - POOL_LOW >= POOL_MIN_SIZE;

/** True when a TCP listener can bind `port` on `hostname` right now. */
function tcpFree(port: number, hostname = "127.0.0.1"): boolean {
  try {
    Deno.listen({ hostname, port }).close();
    return true;
  } catch {
    return false;
  }
}

/** A candidate port: a random one from the pool, or one the OS picks when there is no pool. */
function candidate(): number {
  if (usePool) return POOL_LOW + Math.floor(Math.random() * (poolHigh! - POOL_LOW));
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Returns a TCP port on 127.0.0.1 that was free a moment ago and that this process has not handed out before. */
export function freePort(): number {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = candidate();
    if (issued.has(port) || !tcpFree(port)) continue;
    issued.add(port);
    return port;
  }
  throw new Error("no fresh free loopback port after 200 tries");
}

/** True when a UDP socket can bind `port` on every IPv4 address right now. */
async function udpFree(port: number): Promise<boolean> {
  const socket = dgram.createSocket({ type: "udp4", reuseAddr: false });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(port, "0.0.0.0", () => resolve());
    });
    return true;
  } catch {
    return false;
  } finally {
    await new Promise<void>((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve(); // never bound
      }
    });
  }
}

/**
 * Returns a port free for TCP on 127.0.0.1 and for UDP on every IPv4 address, for servers such as LiveKit that bind
 * their media port on each interface of the machine.
 */
export async function freeUdpPort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = candidate();
    if (issued.has(port) || !tcpFree(port) || !await udpFree(port)) continue;
    issued.add(port);
    return port;
  }
  throw new Error("no fresh port free for both TCP and UDP after 200 tries");
}

/**
 * Returns `base` such that `base`, `base + 1` and `base + 2` are free on TCP and `base + 2` on UDP too: the layout of
 * a LiveKit server whose RTC ports follow its signalling port (as in the dev stack).
 */
export async function freePortRun(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = candidate();
    if (base > 65_000 || [0, 1, 2].some((d) => issued.has(base + d))) continue;
    if (![0, 1, 2].every((d) => tcpFree(base + d)) || !await udpFree(base + 2)) continue;
    [0, 1, 2].forEach((d) => issued.add(base + d));
    return base;
  }
  throw new Error("no run of three free ports found after 200 tries");
}
