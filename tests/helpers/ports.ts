/**
 * Free loopback ports for test servers (never fixed ports: suites run side by side).
 *
 * @module
 */

/** Ports already handed out by this process: the OS may offer a just-closed port again to the next caller. */
const issued = new Set<number>();

/** Returns a TCP port on 127.0.0.1 that was free a moment ago and that this process has not handed out before. */
export function freePort(): number {
  for (let attempt = 0; attempt < 100; attempt++) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    if (!issued.has(port)) {
      issued.add(port);
      return port;
    }
  }
  throw new Error("no fresh free loopback port after 100 tries");
}
